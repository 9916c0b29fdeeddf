// The build writes a script into index.html that links the current page's code (vite.config.ts).
import { Script, createContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { routePreloadScript, routePreloads } from '../../vite.config.ts';

const manifest = {
  'nodes/0.js': { file: '_app/immutable/nodes/0.a.js', imports: ['_shell.js'] },
  'nodes/2.js': { file: '_app/immutable/nodes/2.b.js', imports: ['_shell.js', '_header.js'], css: ['_app/immutable/assets/2.c.css'] },
  'nodes/5.js': { file: '_app/immutable/nodes/5.d.js', imports: ['_header.js', '_zoom.js'] },
  '_shell.js': { file: '_app/immutable/chunks/shell.e.js' },
  '_header.js': { file: '_app/immutable/chunks/header.f.js', css: ['_app/immutable/assets/header.g.css'] },
  '_zoom.js': { file: '_app/immutable/chunks/zoom.h.js', imports: ['_header.js'] }
};
const linked = new Set(['/_app/immutable/nodes/0.a.js', '/_app/immutable/chunks/shell.e.js']);

describe('routePreloads', () => {
  const sut = routePreloads(manifest, { '/': [2], '/gallery/[id]': [5, 0] }, (node) => `nodes/${node}.js`, linked);

  it('lists each page its node and everything the node imports, modules first, minus what index.html links', () => {
    expect(sut).toEqual([
      ['^/?$', ['/_app/immutable/nodes/2.b.js', '/_app/immutable/chunks/header.f.js', '/_app/immutable/assets/2.c.css', '/_app/immutable/assets/header.g.css']],
      ['^/gallery/[^/]+/?$', ['/_app/immutable/nodes/5.d.js', '/_app/immutable/chunks/header.f.js', '/_app/immutable/chunks/zoom.h.js', '/_app/immutable/assets/header.g.css']]
    ]);
  });

  it('writes a script that links only the current page’s files', () => {
    const added: { rel: string; href: string; as?: string; crossOrigin?: string }[] = [];
    const run = (pathname: string) => {
      added.length = 0;
      const html = routePreloadScript(sut);
      const code = html.slice(html.indexOf('>') + 1, html.lastIndexOf('</script>'));
      const document = { createElement: () => ({}), head: { appendChild: (link: { rel: string; href: string }) => added.push(link) } };
      new Script(code).runInContext(createContext({ location: { pathname }, document }));
      expect(added.every((link) => link.crossOrigin === '')).toBe(true);
      return added.map((link) => `${link.rel}${link.as ? `:${link.as}` : ''} ${link.href}`);
    };
    expect(run('/gallery/01HX')).toEqual([
      'modulepreload /_app/immutable/nodes/5.d.js',
      'modulepreload /_app/immutable/chunks/header.f.js',
      'modulepreload /_app/immutable/chunks/zoom.h.js',
      'preload:style /_app/immutable/assets/header.g.css'
    ]);
    expect(run('/')).toHaveLength(4);
    expect(run('/gallery')).toEqual([]);
  });
});
