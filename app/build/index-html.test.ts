// The build rewrites index.html: the layout's stylesheet inlined, and a script that links the current page's code.
import { Script, createContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { inlineStylesheets, routePreloadScript, routePreloads } from './index-html';

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

  it('writes a script that links only the current page’s files, in crossorigin mode as Vite links them', () => {
    const run = (pathname: string) => {
      const inserted: string[] = [];
      const html = routePreloadScript(sut);
      const code = html.slice(html.indexOf('>') + 1, html.lastIndexOf('</script>'));
      const document = { head: { insertAdjacentHTML: (where: string, markup: string) => inserted.push(`${where} ${markup}`) } };
      new Script(code).runInContext(createContext({ location: { pathname }, document }));
      return inserted;
    };
    expect(run('/gallery/01HX')).toEqual([
      'beforeend ' +
        '<link rel="modulepreload" crossorigin href="/_app/immutable/nodes/5.d.js">' +
        '<link rel="modulepreload" crossorigin href="/_app/immutable/chunks/header.f.js">' +
        '<link rel="modulepreload" crossorigin href="/_app/immutable/chunks/zoom.h.js">' +
        '<link rel="preload" as="style" crossorigin href="/_app/immutable/assets/header.g.css">'
    ]);
    expect(run('/')[0]!.match(/<link /g)).toHaveLength(4);
    expect(run('/gallery')).toEqual([]);
  });
});

describe('inlineStylesheets', () => {
  const page = '<head><link href="/_app/immutable/chunks/a.js" rel="modulepreload">\n<link href="/_app/immutable/assets/shell.x.css" rel="stylesheet"></head>';
  const sut = inlineStylesheets(page, (href) => (href === '/_app/immutable/assets/shell.x.css' ? '.nav{color:red}\n' : ''));

  it('puts the stylesheet in the page, so the first paint waits for no request', () => {
    expect(sut).toContain('<style>.nav{color:red}</style>');
    expect(sut).toContain('<link href="/_app/immutable/chunks/a.js" rel="modulepreload">');
  });

  it('keeps a disabled link, so the module loader knows the stylesheet is there and does not fetch it', () => {
    expect(sut).toContain('<link href="/_app/immutable/assets/shell.x.css" rel="stylesheet" disabled>');
    expect(sut).not.toMatch(/rel="stylesheet">/);
  });

  it('cannot be closed early by the stylesheet’s own text', () => {
    const hostile = inlineStylesheets(page, () => '.a::after{content:"</style><script>alert(1)</script>"}');
    expect(hostile.match(/<\/style>/g)).toHaveLength(1);
  });
});
