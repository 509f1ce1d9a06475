import { describe, expect, it } from 'vitest';
import { clampSplit, gridLayout, gridTemplate, MAX_SPLIT, MIN_SPLIT, splitFromPointer } from './grid-layout';

describe('gridLayout', () => {
  it('places 1, 2, 3 and 4 panes', () => {
    expect(gridLayout(0)).toEqual({ rows: 0, cols: 0, cells: [] });
    expect(gridLayout(1)).toMatchObject({ rows: 1, cols: 1 });
    const two = gridLayout(2);
    expect([two.rows, two.cols]).toEqual([1, 2]);
    expect(two.cells.map((c) => [c.row, c.col])).toEqual([
      [1, 1],
      [1, 2],
    ]);
    const three = gridLayout(3);
    expect([three.rows, three.cols]).toEqual([2, 2]);
    expect(three.cells[2]).toEqual({ row: 2, col: 1, rowSpan: 1, colSpan: 2 });
    const four = gridLayout(4);
    expect(four.cells.map((c) => [c.row, c.col, c.colSpan])).toEqual([
      [1, 1, 1],
      [1, 2, 1],
      [2, 1, 1],
      [2, 2, 1],
    ]);
  });
  it('never shows more than four panes', () => {
    expect(gridLayout(9).cells).toHaveLength(4);
  });
  it('no two cells overlap and every cell of a full grid is covered', () => {
    for (let n = 1; n <= 4; n++) {
      const g = gridLayout(n);
      const seen = new Set<string>();
      for (const c of g.cells)
        for (let r = c.row; r < c.row + c.rowSpan; r++)
          for (let k = c.col; k < c.col + c.colSpan; k++) {
            const key = `${r},${k}`;
            expect(seen.has(key)).toBe(false);
            seen.add(key);
          }
      expect(seen.size).toBe(g.rows * g.cols);
    }
  });
});

describe('splits', () => {
  it('clamps to the allowed range', () => {
    expect(clampSplit(0)).toBe(MIN_SPLIT);
    expect(clampSplit(1)).toBe(MAX_SPLIT);
    expect(clampSplit(0.3)).toBe(0.3);
    expect(clampSplit(Number.NaN)).toBe(0.5);
  });
  it('maps a pointer position to a fraction of the container', () => {
    expect(splitFromPointer(300, 100, 400)).toBe(0.5);
    expect(splitFromPointer(120, 100, 400)).toBe(MIN_SPLIT);
    expect(splitFromPointer(0, 0, 0)).toBe(0.5);
  });
  it('builds grid templates', () => {
    expect(gridTemplate(1, 0.3)).toBe('minmax(0, 1fr)');
    expect(gridTemplate(2, 0.3)).toBe('minmax(0, 0.3fr) minmax(0, 0.7fr)');
  });
});
