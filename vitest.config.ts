import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for something eventual (a page update, a record gone): 1 s, its default, is a
    // timed assertion on a loaded machine; the test's own timeout still bounds a wait that never ends.
    expect: { poll: { timeout: 10_000 } },
    // Handlers log at INFO on AWS; tests that read those lines ask for INFO themselves.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", POWERTOOLS_LOG_LEVEL: "WARN" },
  },
});
