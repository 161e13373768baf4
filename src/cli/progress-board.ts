import stringWidth from 'string-width';
import { type Output, withoutColour } from './output.js';

/**
 * Live lines, one per key (a file being uploaded). On a terminal the block is redrawn in place; elsewhere
 * (a log, a pipe) a key's line is printed when it changes, at most every few seconds, and always when done.
 * Whatever else prints while the block is live must go through `output`, which puts it above the block:
 * a line written past the board would be overdrawn by the next redraw.
 */
export class ProgressBoard {
  private readonly lines = new Map<string, string>();
  private drawnLines = 0;
  private readonly printedAtMs = new Map<string, number>();

  constructor(
    private readonly output: Output,
    private readonly live: boolean,
    private readonly everyMs = 3000,
  ) {}

  set(key: string, line: string): void {
    this.lines.set(key, line);
    if (this.live) {
      this.redraw();
      return;
    }
    const nowMs = Date.now();
    if (nowMs - (this.printedAtMs.get(key) ?? 0) < this.everyMs) return;
    this.printedAtMs.set(key, nowMs);
    this.output.line(line);
  }

  /** The final line of a key: printed for good, and no longer redrawn. */
  done(key: string, line: string): void {
    if (this.live) {
      this.lines.delete(key);
      this.clear();
      this.output.line(line);
      this.redraw();
    } else {
      this.output.line(line);
    }
  }

  /** Prints a line above the live block. */
  note(line: string): void {
    this.above(() => this.output.line(line));
  }

  /** Takes a key's line off the block without a final line (its upload stopped; the queue says why). */
  drop(key: string): void {
    if (!this.lines.delete(key) || !this.live) return;
    this.redraw();
  }

  /** An `Output` whose lines and errors appear above the live block. */
  get sharedOutput(): Output {
    const output = this.output;
    return {
      colour: output.colour,
      terminal: output.terminal,
      get columns() {
        return output.columns;
      },
      get rows() {
        return output.rows;
      },
      line: (text = '') => this.note(text),
      write: (text) => this.above(() => output.write(text)),
      error: (text) => this.above(() => output.error(text)),
      json: (value) => this.above(() => output.json(value)),
    };
  }

  private above(print: () => void): void {
    if (this.live) this.clear();
    print();
    if (this.live) this.redraw();
  }

  private clear(): void {
    if (this.drawnLines === 0) return;
    this.output.write(`\u001b[${this.drawnLines}F\u001b[0J`);
    this.drawnLines = 0;
  }

  private redraw(): void {
    this.clear();
    const { columns, rows } = this.output;
    // The block must fit the screen, each line in one row: the cursor cannot move up past the top, and a
    // wrapped line would outlast the cursor-up of the next redraw.
    let shown = [...this.lines.values()];
    if (rows && shown.length > rows - 1) {
      const room = Math.max(1, rows - 2);
      shown = [...shown.slice(0, room), `… and ${shown.length - room} more`];
    }
    for (const line of shown) this.output.line(columns ? fitWidth(line, columns) : line);
    this.drawnLines = shown.length;
  }
}

/** `line` cut to fit in a row of `columns` (one spare: some terminals wrap on the last column). */
export function fitWidth(line: string, columns: number): string {
  const width = Math.max(1, columns - 1);
  const plain = withoutColour(line);
  if (stringWidth(plain) <= width) return line;
  return `${takeColumns(plain, width - 1)}…`;
}

/** `text` in at most `width` columns, its middle replaced by '…' when it must be shortened. */
export function shortenMiddle(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  const head = takeColumns(text, Math.ceil((width - 1) / 2));
  const tail = [...takeColumns([...text].reverse().join(''), Math.floor((width - 1) / 2))].reverse().join('');
  return `${head}…${tail}`;
}

/** The longest start of `text` that takes at most `width` columns (a CJK character takes two). */
function takeColumns(text: string, width: number): string {
  let taken = '';
  let used = 0;
  for (const char of text) {
    const charWidth = stringWidth(char);
    if (used + charWidth > width) break;
    taken += char;
    used += charWidth;
  }
  return taken;
}

export const BAR_WIDTH = 20;

/** "[██████░░░░]" for a share 0..1, `cells` wide inside the brackets. */
export function bar(share: number, cells = BAR_WIDTH): string {
  const filled = Math.max(0, Math.min(cells, Math.round(share * cells)));
  return `[${'█'.repeat(filled)}${'░'.repeat(cells - filled)}]`;
}
