import { describe, expect, it } from 'vitest';
import { detectDialect, detectImagesFlavor } from './detect';

describe('auto dialect detection', () => {
  it.each([
    ['https://generativelanguage.googleapis.com', 'gemini-2.5-flash-image', 'gemini'],
    ['https://gateway.example.com/v1/acct/gw/google-ai-studio', 'gemini-3-pro-image-preview', 'gemini'],
    ['https://generativelanguage.googleapis.com/v1beta/openai', 'gemini-2.5-flash', 'openai-chat'],
    ['https://openrouter.ai/api/v1', 'google/gemini-2.5-flash-image', 'openai-chat'],
    ['https://api.openai.com/v1', 'gpt-image-1', 'openai-images'],
    ['https://api.openai.com/v1', 'gpt-5', 'openai-responses'],
    ['https://api.x.ai/v1', 'grok-2-image', 'openai-images'],
    ['http://127.0.0.1:8000/v1', 'grok-imagine-1.0', 'openai-images'],
    ['http://127.0.0.1:8000/v1', 'grok-4', 'openai-chat'],
    ['https://ark.cn-beijing.volces.com/api/v3', 'doubao-seedream-4-0-250828', 'openai-images'],
    ['https://api.siliconflow.cn/v1', 'Kwai-Kolors/Kolors', 'openai-images']
  ])('%s with %s speaks %s', (baseUrl, model, dialect) => {
    const detection = detectDialect(baseUrl, model);
    expect(detection.dialect).toBe(dialect);
    expect(detection.reason.length).toBeGreaterThan(10);
  });

  it('chooses the images request flavor from host or path', () => {
    expect(detectImagesFlavor('https://api.x.ai/v1', 'grok-2-image')).toBe('xai');
    expect(detectImagesFlavor('http://127.0.0.1:9/xai/v1', 'grok-2-image')).toBe('xai');
    expect(detectImagesFlavor('http://127.0.0.1:9/seedream/api/v3', 'x')).toBe('seedream');
    expect(detectImagesFlavor('https://openrouter.ai/api/v1', 'x')).toBe('openrouter');
    expect(detectImagesFlavor('http://127.0.0.1:9/grok2api-v3/v1', 'grok-imagine-image')).toBe('openai');
  });
});
