import { describe, expect, it } from 'vitest';
import type { Output } from '../../../src/cli/output.js';
import { fitWidth, ProgressBoard, shortenMiddle } from '../../../src/cli/progress-board.js';

const CLEAR_ONE_LINE = '\u001b[1F\u001b[0J';

/** An Output that records what reaches the terminal, in order. */
function recorder(terminal: boolean, columns?: number, rows?: number) {
  const written: string[] = [];
  const output: Output = {
    colour: false,
    terminal,
    columns,
    rows,
    line: (text = '') => written.push(`${text}\n`),
    write: (text) => written.push(text),
    error: (text) => written.push(`stderr: ${text}\n`),
    json: (value) => written.push(`${JSON.stringify(value)}\n`),
  };
  return { output, written };
}

describe('ProgressBoard on a terminal', () => {
  it('puts what others print above the live bars, which are drawn again below it', () => {
    const { output, written } = recorder(true);
    const board = new ProgressBoard(output, true);
    board.set('#1', '#1 a.bin [bar] 10%');
    board.sharedOutput.line('↻ #1 upload a.bin failed — retrying in 1s');
    board.sharedOutput.error('a warning');
    expect(written).toEqual([
      '#1 a.bin [bar] 10%\n',
      CLEAR_ONE_LINE,
      '↻ #1 upload a.bin failed — retrying in 1s\n',
      '#1 a.bin [bar] 10%\n',
      CLEAR_ONE_LINE,
      'stderr: a warning\n',
      '#1 a.bin [bar] 10%\n',
    ]);
  });

  it('drops the bar of a run that stopped: it is cleared and never drawn again', () => {
    const { output, written } = recorder(true);
    const board = new ProgressBoard(output, true);
    board.set('#1', '#1 a.bin [bar] 10%');
    board.set('#2', '#2 b.bin [bar] 50%');
    written.length = 0;
    board.drop('#1');
    board.sharedOutput.line('✗ #1 upload a.bin is dead');
    expect(written).toEqual([
      '\u001b[2F\u001b[0J',
      '#2 b.bin [bar] 50%\n',
      CLEAR_ONE_LINE,
      '✗ #1 upload a.bin is dead\n',
      '#2 b.bin [bar] 50%\n',
    ]);
  });

  it('cuts each live line to the terminal width, so a redraw erases exactly the rows it drew', () => {
    const { output, written } = recorder(true, 30);
    const board = new ProgressBoard(output, true);
    board.set('#1', '#1 a-long-file-name.bin  [██████░░░░]  56%  2.2 MB / 3.8 MB  retries 1');
    board.set('#2', '#2 b.bin  [█░░] 5%');
    board.sharedOutput.line('an event line longer than the terminal is wide, printed once');
    expect(written).toEqual([
      '#1 a-long-file-name.bin  [██…\n',
      CLEAR_ONE_LINE,
      '#1 a-long-file-name.bin  [██…\n',
      '#2 b.bin  [█░░] 5%\n',
      '\u001b[2F\u001b[0J',
      'an event line longer than the terminal is wide, printed once\n',
      '#1 a-long-file-name.bin  [██…\n',
      '#2 b.bin  [█░░] 5%\n',
    ]);
    expect(board.sharedOutput.columns).toBe(30);
  });
});

describe('ProgressBoard with more bars than the terminal has rows', () => {
  it('shows what fits and counts the rest, so the block never passes the top of the screen', () => {
    const { output, written } = recorder(true, 80, 4);
    const board = new ProgressBoard(output, true);
    for (let id = 1; id <= 5; id++) board.set(`#${id}`, `#${id} f${id}.bin`);
    written.length = 0;
    board.note('an event');
    expect(written).toEqual([
      '\u001b[3F\u001b[0J', // the block drawn last: two bars and the count
      'an event\n',
      '#1 f1.bin\n',
      '#2 f2.bin\n',
      '… and 3 more\n',
    ]);
  });
});

describe('ProgressBoard in a log or a pipe', () => {
  it('prints lines as they come, with no terminal control, and a dropped key prints nothing', () => {
    const { output, written } = recorder(false);
    const board = new ProgressBoard(output, false);
    board.set('#1', '#1 a.bin 10%');
    board.set('#1', '#1 a.bin 11%'); // within a few seconds of the last: not printed
    board.sharedOutput.line('a note');
    board.drop('#1');
    board.done('#2', '✓ #2 b.bin');
    expect(written).toEqual(['#1 a.bin 10%\n', 'a note\n', '✓ #2 b.bin\n']);
  });
});

describe('fitting text to a terminal', () => {
  it('counts the columns a character takes: a CJK character takes two', () => {
    expect(fitWidth('報告書_第三四半期.dat', 8)).toBe('報告書…'); // 7 columns: 3 × 2 and the ellipsis
    expect(fitWidth('short', 8)).toBe('short');
  });

  it('shortens a name in its middle, keeping how it starts and ends', () => {
    expect(shortenMiddle('file_with_a_rather_long_name_0.dat', 12)).toBe('file_w…0.dat');
    expect(shortenMiddle('a.bin', 12)).toBe('a.bin');
    expect(shortenMiddle('報告書_第三四半期.dat', 11)).toBe('報告….dat'); // 9 columns: no half of a wide character
  });
});
