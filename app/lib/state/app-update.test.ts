import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppUpdate, type RunningTasksSource } from './app-update.svelte';

/** A stand-in for the tasks table: the test says how many tasks run. */
function fakeTasks() {
  let listener: ((running: number) => void) | undefined;
  const source: RunningTasksSource = (next) => {
    listener = next;
    return () => (listener = undefined);
  };
  return {
    source,
    set: (running: number) => listener?.(running),
    get watched() {
      return listener !== undefined;
    }
  };
}

const made: AppUpdate[] = [];
function sutWith(tasks = fakeTasks()): AppUpdate {
  const sut = new AppUpdate({ runningTasks: tasks.source });
  made.push(sut);
  return sut;
}

afterEach(() => {
  for (const sut of made.splice(0)) sut.destroy();
});

describe('app update', () => {
  it('offers a new version and applies it only when the person accepts', () => {
    const sut = sutWith();
    const apply = vi.fn();

    sut.offer(apply);
    expect(sut.prompting).toBe(true);
    expect(apply).not.toHaveBeenCalled();

    sut.accept();
    expect(apply).toHaveBeenCalledTimes(1);
    sut.accept();
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it('waits under a hold, says why, and applies once the last hold is released', () => {
    const sut = sutWith();
    const apply = vi.fn();
    const releasePrompt = sut.holdWhile('prompt');
    const releaseTransfer = sut.holdWhile('transfer');
    sut.offer(apply);

    sut.accept();
    expect(apply).not.toHaveBeenCalled();
    expect(sut.waiting).toBe(true);
    expect(sut.reasons).toEqual(['transfer', 'prompt']);

    releasePrompt();
    releasePrompt(); // a second call must not release someone else's hold
    expect(apply).not.toHaveBeenCalled();
    expect(sut.reasons).toEqual(['transfer']);

    releaseTransfer();
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it('holds while any task runs, watching tasks only once a version waits', () => {
    const tasks = fakeTasks();
    const sut = sutWith(tasks);
    const apply = vi.fn();
    expect(tasks.watched).toBe(false);

    sut.offer(apply);
    expect(tasks.watched).toBe(true);
    tasks.set(2);
    sut.accept();
    expect(sut.reasons).toEqual(['task']);
    tasks.set(1);
    expect(apply).not.toHaveBeenCalled();

    tasks.set(0);
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it('does nothing when released without an accepted update, and Later cancels a waiting reload', () => {
    const sut = sutWith();
    const apply = vi.fn();
    const release = sut.holdWhile('prompt');
    sut.offer(apply);
    sut.accept();
    sut.dismiss();
    expect(sut.prompting).toBe(false);

    release();
    expect(apply).not.toHaveBeenCalled();
    expect(sut.available).toBe(true);
  });

  it('reloads a tab whose worker was replaced from another tab, but not under its own work', () => {
    const sut = sutWith();
    const reload = vi.fn();
    const release = sut.holdWhile('prompt');

    sut.offer(reload, { accepted: true });
    expect(reload).not.toHaveBeenCalled();
    expect(sut.waiting).toBe(true);

    release();
    expect(reload).toHaveBeenCalledTimes(1);
  });
});
