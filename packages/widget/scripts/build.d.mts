/** The widget package's directory, and its build output directory. */
export declare const WIDGET_DIR: string;
export declare const DIST_DIR: string;
/** File names of the ES module and the IIFE, in `DIST_DIR`. */
export declare const OUTPUTS: { esm: string; iife: string };
/** Whether a build is missing or older than a source file. */
export declare function isStale(): Promise<boolean>;
/** Builds both files into `outDir` (default `dist/`); answers their paths and minified sizes in bytes. */
export declare function buildWidget(options?: { outDir?: string }): Promise<Record<'esm' | 'iife', { file: string; bytes: number }>>;
/** The console's output directory (`dist/console/`) and its page's file name. */
export declare const CONSOLE_DIR: string;
export declare const CONSOLE_INDEX: string;
/** Builds the console into `outDir` (default `dist/console/`); answers its entry script and every file with its size. */
export declare function buildConsole(options?: { outDir?: string }): Promise<{ main: string; files: { file: string; bytes: number }[] }>;
