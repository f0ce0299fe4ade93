import { fileURLToPath } from "node:url";
import { context, formatMessages, type BuildFailure } from "esbuild";

/** The sandbox page's TypeScript (src/demo/page/), bundled for the browser and held in memory. */
export interface PageBundle {
  /** The last bundle: what GET /page.js serves. */
  readonly script: string;
  /** Bundles again (incrementally, milliseconds), so an edit to the page's code shows on reload. */
  rebuild(): Promise<void>;
  dispose(): Promise<void>;
}

/** Bundles once before resolving: a page that does not compile stops the sandbox at start, saying where. */
export async function bundlePage(): Promise<PageBundle> {
  const bundler = await context({
    entryPoints: [fileURLToPath(new URL("./page/main.ts", import.meta.url))],
    bundle: true,
    write: false,
    outfile: "page.js",
    format: "iife",
    platform: "browser",
    target: "es2022",
    charset: "utf8",
    sourcemap: "inline",
    logLevel: "silent",
  });
  let script = "";
  const rebuild = async () => {
    try {
      const result = await bundler.rebuild();
      script = result.outputFiles[0]?.text ?? "";
    } catch (error) {
      throw new Error(`the sandbox page's script does not build:\n${await describe(error)}`);
    }
  };
  try {
    await rebuild();
  } catch (error) {
    await bundler.dispose();
    throw error;
  }
  return {
    get script() {
      return script;
    },
    rebuild,
    dispose: () => bundler.dispose(),
  };
}

async function describe(error: unknown): Promise<string> {
  const failure = error as Partial<BuildFailure>; // esbuild rejects with a BuildFailure; anything else is shown as it is
  if (!Array.isArray(failure.errors) || failure.errors.length === 0) return error instanceof Error ? error.message : String(error);
  return (await formatMessages(failure.errors, { kind: "error" })).join("\n");
}
