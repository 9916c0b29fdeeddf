// The engine's image work (decode, measure, thumbnail, partial previews) in a worker of its own,
// started by the engine worker on first use. A canvas encodes on the thread that asks for it: on
// the engine's thread every WebP held up the network reads and sends of all the other slots.
/// <reference lib="webworker" />

import * as Comlink from 'comlink';
import { previewImage, processImage } from '$lib/imaging/thumbnail';

const api = {
  process: processImage,
  preview: previewImage
};

export type ImagingWorkerApi = typeof api;

Comlink.expose(api);
