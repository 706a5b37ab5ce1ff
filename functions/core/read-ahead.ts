/** Paged reads started ahead of their use. */

/**
 * Starts the first page's read at once and yields the pages in order, that one first: a request's
 * first read can then overlap other work. When the pages are never read, a failure of that first
 * read is dropped with them.
 */
export function readAhead<Page>(pages: AsyncIterable<Page>): AsyncIterable<Page> {
  const iterator = pages[Symbol.asyncIterator]();
  const first = iterator.next();
  first.catch(() => undefined);
  return {
    async *[Symbol.asyncIterator]() {
      for (let next = first; ; next = iterator.next()) {
        const page = await next;
        if (page.done) return;
        yield page.value;
      }
    },
  };
}
