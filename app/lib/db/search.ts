// Prompt search that works without spaces between words. English (and any spaced script) is
// indexed by word; Chinese, Japanese and Korean runs by single characters and character bigrams,
// so "红色灯塔" is found by "灯塔" without a word segmenter (a dictionary would cost megabytes).
// The tokens land in ImageRecord.searchTokens, a multi-entry index: a search is a few index
// lookups and an intersection of key sets, never a scan of every prompt.

/** Han, kana, Hangul and CJK punctuation-free symbols: scripts written without spaces. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
/** A run of letters/digits (any script), or one of the marks that join words ("o'clock", "4k-uhd" splits). */
const RUNS = /[\p{L}\p{N}]+/gu;

function normalize(text: string): string {
  // NFKC folds full-width Latin ("ＡＢＣ") and digits, common in Chinese input, to ASCII.
  return text.normalize('NFKC').toLowerCase();
}

interface Split {
  words: string[];
  /** Contiguous runs of CJK characters. */
  cjk: string[];
}

function split(text: string): Split {
  const words: string[] = [];
  const cjk: string[] = [];
  for (const [run] of normalize(text).matchAll(RUNS)) {
    // A run can mix scripts ("gpt图片"): cut it where the script class changes.
    let current = '';
    let currentIsCjk = false;
    for (const char of run) {
      const isCjk = CJK.test(char);
      if (current && isCjk !== currentIsCjk) {
        (currentIsCjk ? cjk : words).push(current);
        current = '';
      }
      current += char;
      currentIsCjk = isCjk;
    }
    if (current) (currentIsCjk ? cjk : words).push(current);
  }
  return { words, cjk };
}

function bigrams(run: string): string[] {
  const chars = [...run];
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  return out;
}

/**
 * The tokens stored for a prompt: lower-cased words, and for CJK runs every character and every
 * pair of neighbouring characters. Unique, in first-seen order.
 */
export function searchTokens(prompt: string): string[] {
  const { words, cjk } = split(prompt);
  const tokens = new Set<string>(words);
  for (const run of cjk) {
    for (const char of run) tokens.add(char);
    for (const pair of bigrams(run)) tokens.add(pair);
  }
  return [...tokens];
}

export interface SearchQuery {
  /** Tokens a prompt must all have. */
  exact: string[];
  /** The word being typed: prompts must have a word starting with it. */
  prefix: string | null;
}

/**
 * The fewest bigrams that together cover a run: every other pair, plus the last one when the
 * length is odd ("赛博朋克" -> 赛博, 朋克; "机器人" -> 机器, 器人). Each is one index read of its
 * own (about 10 ms for a thousand matches in Chromium), so a 4-character word costs two, not three.
 */
function coveringBigrams(run: string): string[] {
  const pairs = bigrams(run);
  const out = pairs.filter((_, i) => i % 2 === 0);
  if (pairs.length % 2 === 0 && pairs.length > 0) out.push(pairs.at(-1)!);
  return out;
}

/**
 * Turns what a person typed into index lookups. Every word must match; the last English word
 * matches as a prefix so results narrow while typing ("light" finds "lighthouse"). A CJK run
 * becomes bigrams that cover it (all must be present, which finds the run itself in practice),
 * or the character alone when it is one character long.
 */
export function parseSearch(text: string): SearchQuery {
  const { words, cjk } = split(text);
  const exact = new Set<string>();
  let prefix: string | null = null;
  const endsWithWord = /[\p{L}\p{N}]$/u.test(text.normalize('NFKC')) && !CJK.test([...text].at(-1) ?? '');
  words.forEach((word, index) => {
    if (index === words.length - 1 && endsWithWord) prefix = word;
    else exact.add(word);
  });
  for (const run of cjk) {
    const pairs = coveringBigrams(run);
    if (pairs.length === 0) exact.add(run);
    else for (const pair of pairs) exact.add(pair);
  }
  return { exact: [...exact], prefix };
}

export function isEmptySearch(query: SearchQuery): boolean {
  return query.exact.length === 0 && query.prefix === null;
}
