// Files in and out of the gallery: downloads (one original with its recipe embedded, or many as
// a streamed ZIP with sidecars and a metadata JSON, made in a worker) and images dropped onto the
// gallery.

import { database } from '$lib/db/database';
import { imageFileName } from '$lib/db/backup';
import { getImageBlob, saveImageSet } from '$lib/db/images.repo';
import { exportSelectionInWorker } from '$lib/db/transfer';
import type { ImageRecord } from '$lib/db/records';
import { embedRecipe, readRecipe, recipeOf, sidecarName } from '$lib/imaging/recipe';

export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  // The download has taken its own reference by the next task; the URL is not needed after.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Downloads one original with its recipe inside (PNG text chunk, XMP), or beside it as JSON. */
export async function downloadOriginal(image: ImageRecord): Promise<void> {
  const blob = await getImageBlob(database(), image.id);
  if (!blob) return;
  const name = `atelier-${imageFileName(image)}`;
  const recipe = recipeOf(image);
  const embedded = await embedRecipe(blob, recipe);
  if (embedded) return saveFile(embedded, name);
  saveFile(blob, name);
  saveFile(new Blob([JSON.stringify(recipe, null, 2)], { type: 'application/json' }), sidecarName(name));
}

/** A ZIP of the chosen images, made in the transfer worker (see db/backup.ts exportSelection). */
export async function downloadZip(ids: readonly string[], onProgress: (done: number, total: number) => void): Promise<void> {
  const archive = await exportSelectionInWorker(ids, onProgress);
  saveFile(archive, `atelier-${new Date().toISOString().slice(0, 10)}-${ids.length}.zip`);
}

async function thumbnail(blob: Blob): Promise<{ blob: Blob; width: number; height: number; source: { width: number; height: number } }> {
  const bitmap = await createImageBitmap(blob);
  try {
    const scale = Math.min(1, 384 / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, width, height);
    const thumb = await canvas.convertToBlob({ type: 'image/webp', quality: 0.8 });
    return { blob: thumb, width, height, source: { width: bitmap.width, height: bitmap.height } };
  } finally {
    bitmap.close();
  }
}

/**
 * Adds a dropped image that carries an Atelier recipe to the library, with that recipe. Returns
 * the new image's id, or null when the file has no recipe.
 */
export async function addDroppedImage(file: File): Promise<string | null> {
  const recipe = await readRecipe(file);
  if (!recipe) return null;
  const thumb = await thumbnail(file);
  const saved = await saveImageSet(database(), {
    prompt: recipe.prompt,
    params: { model: recipe.model, ...recipe.params } as ImageRecord['params'],
    providerId: '',
    providerLabel: recipe.providerLabel,
    dialect: (recipe.dialect || 'auto') as ImageRecord['dialect'],
    model: recipe.model,
    sources: recipe.sources,
    durationMs: 0,
    images: [{ blob: file, width: thumb.source.width, height: thumb.source.height, thumb: { blob: thumb.blob, width: thumb.width, height: thumb.height } }]
  });
  return saved.main.id;
}
