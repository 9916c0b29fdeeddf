import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImageRecord } from '$lib/db/records';
import { headTiles, TileWindow, type FirstTiles } from './gallery-tiles.svelte';

function screen(count: number): FirstTiles {
  const ids = Array.from({ length: count }, (_, i) => `id${String(i).padStart(3, '0')}`);
  return headTiles({
    ids,
    rows: ids.map((id) => ({ id, prompt: `prompt ${id}` }) as ImageRecord),
    thumbs: ids.map((id) => ({ id, type: 'image/webp', bytes: new TextEncoder().encode(id).buffer }))
  });
}

describe('headTiles', () => {
  it('makes data: URLs of the thumbnails read ahead, so drawing them needs no object URL', () => {
    const tiles = screen(2);
    const url = tiles.urls.get('id001')!;
    expect(url.startsWith('data:image/webp;base64,')).toBe(true);
    expect(atob(url.slice(url.indexOf(',') + 1))).toBe('id001');
  });
});

describe('TileWindow with a first screen read ahead', () => {
  let sut: TileWindow;
  afterEach(() => sut.destroy());

  it('shows the on-screen thumbnails at once, and the overscan only after they loaded', () => {
    sut = new TileWindow();
    const head = screen(12);
    let shown = 0;
    sut.adopt(head, () => shown++);
    sut.show(head.ids, 8);

    expect([...sut.urls.keys()]).toEqual(head.ids.slice(0, 8));
    expect(sut.rows.get('id011')?.prompt).toBe('prompt id011');
    for (const id of head.ids.slice(0, 7)) sut.loaded(id);
    expect(shown).toBe(0);
    sut.loaded('id007');
    expect(shown).toBe(1);
  });

  it('does not wait for a tile that left the window before its image loaded', () => {
    sut = new TileWindow();
    const head = screen(6);
    let shown = 0;
    sut.adopt(head, () => shown++);
    sut.show(head.ids, 4);
    for (const id of head.ids.slice(0, 3)) sut.loaded(id);
    sut.show(head.ids.slice(0, 3), 3);
    expect(shown).toBe(1);
  });
});
