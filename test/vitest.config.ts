import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Lives under test/ so the repository's top level stays as the project asks; root points back up.
export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // End-to-end tests start servers on random ports; files run in parallel workers.
    pool: "forks",
  },
});
