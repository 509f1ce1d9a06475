/** Layout math for the terminal grid: 1 pane, 2 side by side, 3 or 4 in a 2×2. Pure. */

export const MAX_GRID_PANES = 4; // 2×2; more than that and panes get too small to read
export const MIN_SPLIT = 0.2; // neither side of a splitter shrinks below a fifth
export const MAX_SPLIT = 1 - MIN_SPLIT;

export interface Cell {
  /** 1-based CSS grid lines. */
  row: number;
  col: number;
  rowSpan: number;
  colSpan: number;
}

export interface GridLayout {
  rows: number;
  cols: number;
  cells: Cell[];
}

export function gridLayout(n: number): GridLayout {
  const count = Math.max(0, Math.min(n, MAX_GRID_PANES));
  if (count === 0) return { rows: 0, cols: 0, cells: [] };
  if (count === 1) return { rows: 1, cols: 1, cells: [{ row: 1, col: 1, rowSpan: 1, colSpan: 1 }] };
  if (count === 2)
    return {
      rows: 1,
      cols: 2,
      cells: [
        { row: 1, col: 1, rowSpan: 1, colSpan: 1 },
        { row: 1, col: 2, rowSpan: 1, colSpan: 1 },
      ],
    };
  const cells: Cell[] = [
    { row: 1, col: 1, rowSpan: 1, colSpan: 1 },
    { row: 1, col: 2, rowSpan: 1, colSpan: 1 },
    // With three panes the third takes the whole bottom row rather than leaving a hole.
    { row: 2, col: 1, rowSpan: 1, colSpan: count === 3 ? 2 : 1 },
  ];
  if (count === 4) cells.push({ row: 2, col: 2, rowSpan: 1, colSpan: 1 });
  return { rows: 2, cols: 2, cells };
}

export function clampSplit(f: number): number {
  if (!Number.isFinite(f)) return 0.5;
  return Math.min(MAX_SPLIT, Math.max(MIN_SPLIT, f));
}

/** CSS grid-template track list for `tracks` (1 or 2) tracks split at `split`. */
export function gridTemplate(tracks: number, split: number): string {
  if (tracks <= 1) return 'minmax(0, 1fr)';
  const f = clampSplit(split);
  return `minmax(0, ${f}fr) minmax(0, ${1 - f}fr)`;
}

/** The split fraction for a pointer at `pos` inside a container starting at `start` with length `size`. */
export function splitFromPointer(pos: number, start: number, size: number): number {
  if (size <= 0) return 0.5;
  return clampSplit((pos - start) / size);
}

/** Keyboard nudge of a focused splitter (arrow keys move it by a step). */
export const SPLIT_KEY_STEP = 0.05;
