// Plain-text tables in kubectl's style (no borders, columns separated by spaces, upper-case
// headers), word wrapping, and optional ANSI styling. Pure: the caller decides colour and width.
import { styleText } from 'node:util';
import Table from 'cli-table3';

export interface TextOptions {
  color: boolean; // ANSI styles only when stdout is a terminal
  width: number; // columns available; wider tables and texts wrap
}

type Style = Parameters<typeof styleText>[0];

export function paint(style: Style, text: string, opts: Pick<TextOptions, 'color'>): string {
  return opts.color ? styleText(style, text, { validateStream: false }) : text;
}

const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '',
  middle: '   ',
};

const GAP = 3; // width of NO_BORDERS.middle
const LAST_COLUMN_MIN = 24;

/** Renders rows under upper-case headers. A table wider than `width` has its widest columns
 *  wrapped (at spaces and after commas, so IP lists break between addresses) until it fits or
 *  no cell can be wrapped further; nothing is ever cut off. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[], opts: TextOptions, indent = ''): string {
  const widths = fitColumns(head, rows, opts.width - indent.length);
  const table = new Table({
    head: head.map((h) => paint('bold', h, opts)),
    chars: NO_BORDERS,
    style: { 'padding-left': 0, 'padding-right': 0, head: [], border: [] },
  });
  table.push(...rows.map((r) => head.map((_, i) => wrap(r[i] ?? '', widths[i] ?? 1).join('\n'))));
  return table
    .toString()
    .split('\n')
    .map((line) => `${indent}${line}`.trimEnd())
    .filter((line) => line !== '')
    .join('\n');
}

/** Column widths: natural; then the last column (free text: reasons, warnings) down to
 *  LAST_COLUMN_MIN; then the widest column, one character at a time, down to what its header and
 *  its longest unbreakable piece need. */
function fitColumns(head: readonly string[], rows: readonly (readonly string[])[], width: number): number[] {
  const cells = (i: number) => [head[i] ?? '', ...rows.map((r) => r[i] ?? '')];
  const widths = head.map((_, i) => longest(cells(i).flatMap((c) => c.split('\n'))));
  const floors = head.map((_, i) => Math.max((head[i] ?? '').length, longest(cells(i).flatMap(pieces))));
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP * (head.length - 1);
  const last = head.length - 1;
  if (last > 0 && total() > width) {
    const lastWidth = widths[last] ?? 0;
    widths[last] = Math.max(floors[last] ?? 0, Math.min(lastWidth, LAST_COLUMN_MIN), lastWidth - (total() - width));
  }
  while (total() > width) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      const w = widths[i] ?? 0;
      if (w > (floors[i] ?? 0) && (widest < 0 || w > (widths[widest] ?? 0))) widest = i;
    }
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 1) - 1;
  }
  return widths;
}

const longest = (parts: readonly string[]) => Math.max(0, ...parts.map((p) => p.length));

/** The unbreakable pieces of a text: words, and within words the parts after each comma. */
function pieces(text: string): string[] {
  return text.split(/\s+/).flatMap((w) => w.split(/(?<=,)/));
}

/** Wraps text to at most `width` columns, at spaces and after commas; existing line breaks
 *  stay. A piece longer than the width stays whole on its own line. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      word.split(/(?<=,)/).forEach((part, i) => {
        const sep = line === '' || i > 0 ? '' : ' ';
        if (line !== '' && line.length + sep.length + part.length > width) {
          lines.push(line);
          line = part;
        } else line += sep + part;
      });
    }
    lines.push(line);
  }
  return lines;
}

/** Wraps text to the width, the first line after `first`, the others after `rest`. */
export function indent(text: string, first: string, rest: string, width: number): string[] {
  return wrap(text, width - rest.length)
    .filter((line) => line !== '')
    .map((line, i) => `${i === 0 ? first : rest}${line}`);
}
