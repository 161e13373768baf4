/** Rendering for people (colour on a terminal, aligned columns) and for scripts (--json). */

export interface Output {
  line(text?: string): void;
  /** Writes without a newline (terminal control). */
  write(text: string): void;
  error(text: string): void;
  json(value: unknown): void;
  readonly colour: boolean;
  /** Whether output goes to a terminal (live redrawing is possible). */
  readonly terminal: boolean;
  /** The terminal's width in characters, read when asked (it may be resized); undefined elsewhere. */
  readonly columns?: number | undefined;
  /** The terminal's height in lines, read when asked; undefined elsewhere. */
  readonly rows?: number | undefined;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, grey: 90, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function createOutput(
  stream: NodeJS.WriteStream = process.stdout,
  errors: NodeJS.WriteStream = process.stderr,
): Output {
  const colour = stream.isTTY === true && !process.env.NO_COLOR;
  return {
    colour,
    terminal: stream.isTTY === true,
    get columns() {
      return stream.isTTY ? stream.columns : undefined;
    },
    get rows() {
      return stream.isTTY ? stream.rows : undefined;
    },
    line: (text = '') => stream.write(`${text}\n`),
    write: (text) => stream.write(text),
    error: (text) => errors.write(`${text}\n`),
    json: (value) => stream.write(`${JSON.stringify(value)}\n`),
  };
}

export function paint(output: Output, colour: Colour, text: string): string {
  return output.colour ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g');

/** `text` without the colour codes `paint` adds: what a terminal shows. */
export function withoutColour(text: string): string {
  return text.replace(ANSI_COLOUR, '');
}

/** Aligns rows into columns (the first row may be a header). */
export function table(rows: string[][]): string[] {
  const visible = (text: string) => withoutColour(text).length;
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visible(cell));
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visible(cell))))
      .join('  ')
      .trimEnd(),
  );
}

/** Prints one event: "12:03:04 text" for a person, or with `json` a line `{ event, at, ...fields }`. */
export type EventPrinter = (event: string, text: string, fields?: Record<string, unknown>) => void;

export function eventPrinter(output: Output, json: boolean): EventPrinter {
  return (event, text, fields = {}) => {
    if (json) output.json({ event, at: new Date().toISOString(), ...fields });
    else output.line(`${paint(output, 'grey', clockTime())} ${text}`);
  };
}

/** "12:03:04" for event lines. */
export function clockTime(date = new Date()): string {
  return date.toTimeString().slice(0, 8);
}
