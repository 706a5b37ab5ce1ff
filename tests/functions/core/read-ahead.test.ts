import { describe, expect, it, vi } from "vitest";
import { readAhead } from "../../../functions/core/read-ahead.js";

/** Pages read on demand, recording when each read starts. */
function pagesOf(pages: string[][], failFirst?: Error) {
  const started: number[] = [];
  async function* read() {
    for (const [index, page] of pages.entries()) {
      started.push(index);
      await Promise.resolve();
      if (index === 0 && failFirst) throw failFirst;
      yield page;
    }
  }
  return { started, pages: read() };
}

describe("readAhead", () => {
  it("starts reading the first page at once, the others as they are asked for, and yields them all in order", async () => {
    const source = pagesOf([["a", "b"], ["c"], ["d"]]);
    const ahead = readAhead(source.pages);
    expect(source.started).toEqual([0]);
    const seen: string[][] = [];
    for await (const page of ahead) seen.push(page);
    expect(seen).toEqual([["a", "b"], ["c"], ["d"]]);
    expect(source.started).toEqual([0, 1, 2]);
  });

  it("throws the first read's failure to the one who iterates", async () => {
    const source = pagesOf([["a"]], new Error("scan failed"));
    const ahead = readAhead(source.pages);
    await expect((async () => { for await (const page of ahead) void page; })()).rejects.toThrow("scan failed");
  });

  it("drops the first read's failure when the pages are never used (a refused frame's)", async () => {
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      readAhead(pagesOf([["a"]], new Error("scan failed")).pages);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off("unhandledRejection", unhandled);
    }
  });
});
