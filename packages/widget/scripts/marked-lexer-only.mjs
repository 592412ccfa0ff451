// An esbuild plugin: marked's bundle (lib/marked.esm.js, one module) ends with the glue of its default instance
// (`new Marked()`, the `marked.*` shortcuts), which keeps its parser, renderers and hooks in any bundle. The widget
// uses only the `Lexer`: this cuts the glue and exports the lexer, saving ~3 KB gzip. When the marker is not found
// (another marked version), marked is used whole and the size budget test reports the difference.
import { readFile } from 'node:fs/promises';

const GLUE = /var (\w+)=new (\w+);function (\w+)\(\w+,\w+\)\{return \1\.parse\(/;

export const markedLexerOnlyPlugin = () => ({
  name: 'marked-lexer-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]marked[\\/]lib[\\/]marked\.esm\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const glue = GLUE.exec(source);
      const lexer = /\b(\w+) as Lexer\b/.exec(source);
      if (!glue || !lexer) {
        console.warn('[widget build] marked-lexer-only: marker not found, bundling marked whole');
        return { contents: source, loader: 'js' };
      }
      return { contents: `${source.slice(0, glue.index)}export{${lexer[1]} as Lexer};\n`, loader: 'js' };
    });
  },
});
