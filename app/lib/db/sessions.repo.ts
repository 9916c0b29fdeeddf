// Sessions: threads of turns (prompt, inputs, outputs, error). A turn points at the engine task that
// ran it; the task holds the live status, the turn keeps what the thread needs after it ends.

import { liveQuery } from 'dexie';
import type { HistoryTurn, InputImage } from '$lib/core/types';
import type { AtelierDatabase } from './database';
import { newId } from './ids';
import type { ImageRecord, SessionRecord, SessionTurn, TaskRecord } from './records';

/** Live sessions, most recently used first. */
export async function listSessions(db: AtelierDatabase): Promise<SessionRecord[]> {
  const rows = await db.sessions.orderBy('updatedAt').reverse().toArray();
  return rows.filter((row) => row.deletedAt === 0);
}

/** `id` may be chosen beforehand (newId()), so a task can name its session while the row is written. */
export async function createSession(db: AtelierDatabase, input: { id?: string; title?: string; providerId: string | null }): Promise<SessionRecord> {
  const now = Date.now();
  const record: SessionRecord = {
    id: input.id ?? newId(now),
    createdAt: now,
    updatedAt: now,
    title: input.title?.trim() ?? '',
    providerId: input.providerId,
    turns: [],
    deletedAt: 0
  };
  await db.sessions.add(record);
  return record;
}

export async function renameSession(db: AtelierDatabase, id: string, title: string): Promise<void> {
  await db.sessions.update(id, { title: title.trim() });
}

/** Deletes the thread; its images stay in the gallery. */
export async function deleteSession(db: AtelierDatabase, id: string): Promise<void> {
  await db.sessions.delete(id);
}

export type TurnInput = Pick<SessionTurn, 'prompt' | 'inputIds' | 'taskId'>;

/** Appends a turn; an untitled session takes its first prompt as the title. */
export async function addTurn(db: AtelierDatabase, sessionId: string, input: TurnInput, providerId: string | null): Promise<SessionTurn> {
  const now = Date.now();
  const turn: SessionTurn = { id: newId(now), createdAt: now, prompt: input.prompt, inputIds: input.inputIds, taskId: input.taskId, outputIds: [], error: null };
  await db.sessions
    .where('id')
    .equals(sessionId)
    .modify((row) => {
      row.turns.push(turn);
      row.updatedAt = now;
      row.providerId = providerId;
      if (!row.title) row.title = titleFrom(input.prompt);
    });
  return turn;
}

/** A turn with what the engine knows about it: its task (status, stage, error) and its images. */
export interface TurnView {
  turn: SessionTurn;
  task: TaskRecord | undefined;
  /** The answer's images, main image first, then its candidates. */
  images: ImageRecord[];
}

export interface SessionView {
  session: SessionRecord;
  turns: TurnView[];
}

export async function readSessionView(db: AtelierDatabase, id: string): Promise<SessionView | null> {
  const session = await db.sessions.get(id);
  if (!session || session.deletedAt > 0) return null;
  const tasks = await db.tasks.bulkGet(session.turns.map((turn) => turn.taskId ?? ''));
  const resultIds = tasks.flatMap((task) => task?.resultIds ?? []);
  const images = new Map((await db.images.bulkGet(resultIds)).filter((row): row is ImageRecord => !!row && row.deletedAt === 0).map((row) => [row.id, row]));
  return {
    session,
    turns: session.turns.map((turn, index) => {
      const task = tasks[index];
      const ids = turn.outputIds.length > 0 ? turn.outputIds : (task?.resultIds ?? []);
      const rows = ids.map((imageId) => images.get(imageId)).filter((row): row is ImageRecord => !!row);
      return { turn, task, images: mainFirst(rows) };
    })
  };
}

/** The session with its tasks and images, kept current while the engine works. */
export function watchSessionView(db: AtelierDatabase, id: string) {
  return liveQuery(() => readSessionView(db, id));
}

function mainFirst(rows: ImageRecord[]): ImageRecord[] {
  return [...rows.filter((row) => row.candidateOf === null), ...rows.filter((row) => row.candidateOf !== null)];
}

/**
 * The conversation so far, for chat-style dialects: each answered turn becomes the person's words and
 * input images, then the model's main image. Turns without an output (failed, canceled) are left out,
 * so a retry does not repeat a question that was never answered.
 */
export async function loadHistory(db: AtelierDatabase, turns: readonly SessionTurn[]): Promise<HistoryTurn[]> {
  const tasks = await db.tasks.bulkGet(turns.map((turn) => turn.taskId ?? ''));
  const history: HistoryTurn[] = [];
  for (const [index, turn] of turns.entries()) {
    const task = tasks[index];
    let outputIds = turn.outputIds;
    if (outputIds.length === 0 && task?.status === 'succeeded') {
      outputIds = mainFirst(await getRows(db, task.resultIds)).map((row) => row.id);
    }
    const outputs = await loadImages(db, outputIds.slice(0, 1));
    if (outputs.length === 0) continue;
    const inputs = await loadImages(db, turn.inputIds.length > 0 ? turn.inputIds : (task?.inputIds ?? []));
    history.push({ role: 'user', parts: [{ text: turn.prompt }, ...inputs.map((image) => ({ image }))] });
    history.push({ role: 'model', parts: outputs.map((image) => ({ image })) });
  }
  return history;
}

async function getRows(db: AtelierDatabase, ids: readonly string[]): Promise<ImageRecord[]> {
  return (await db.images.bulkGet([...ids])).filter((row): row is ImageRecord => !!row);
}

async function loadImages(db: AtelierDatabase, ids: readonly string[]): Promise<InputImage[]> {
  const rows = await db.blobs.bulkGet([...ids]);
  const images: InputImage[] = [];
  for (const row of rows) {
    if (!row) continue;
    images.push({ bytes: new Uint8Array(await row.blob.arrayBuffer()), mime: row.blob.type || undefined });
  }
  return images;
}

function titleFrom(prompt: string): string {
  const flat = prompt.trim().replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}

export function watchSessions(db: AtelierDatabase) {
  return liveQuery(() => listSessions(db));
}

