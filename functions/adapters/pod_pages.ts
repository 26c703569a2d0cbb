// Lists proxy pods page by page, streaming each page through PodListParser, and asks for the
// next page as soon as the current one's continue token has been read (the API server writes
// it before the items) — so the server prepares page k+1 while page k is still arriving. At
// most two pages are in flight; pages keep their order in the result. Does I/O through
// `fetchPage`, which the transport supplies.
import type { ProxyPodView } from '../core/model.ts';
import { PodListParser } from './pod_list_parser.ts';

/** Proxy pods per page. They are streamed, so a big page costs no more memory than a small one;
 *  a 30 000-pod list takes 15 round trips instead of the 60 of the usual 500. */
export const POD_PAGE_SIZE = 2000;

/** Starts the request for one page; resolves to its body once the answer is a 2xx (and throws
 *  the mapped error otherwise). `signal` aborts it when an earlier page failed. */
export type FetchPodPage = (cont: string | undefined, signal: AbortSignal) => Promise<AsyncIterable<Uint8Array>>;

interface Page {
  views: ProxyPodView[];
  /** The next page's continue token ('' at the end), as soon as it is known. */
  next: Promise<string>;
  done: Promise<void>;
}

export async function listPodPages(fetchPage: FetchPodPage): Promise<ProxyPodView[]> {
  const abort = new AbortController();
  const pages: Page[] = [];
  const start = (cont: string | undefined): Page => {
    const views: ProxyPodView[] = [];
    let tell: (token: string) => void = () => undefined;
    const next = new Promise<string>((resolve) => (tell = resolve));
    const done = (async () => {
      const body = await fetchPage(cont, abort.signal);
      const parser = new PodListParser(
        (v) => views.push(v),
        (m) => tell(m.continue ?? ''),
      );
      for await (const chunk of body) parser.push(chunk);
      tell(parser.end().continue ?? ''); // no-op when the metadata came first
    })();
    const page = { views, next, done };
    pages.push(page);
    return page;
  };

  let current = start(undefined);
  try {
    for (;;) {
      // A failing page rejects `done` before (or without) telling its token.
      const token = await Promise.race([current.next, current.done.then(() => current.next)]);
      const following = token ? start(token) : undefined;
      following?.done.catch(() => undefined); // its failure surfaces when it becomes current
      await current.done;
      if (!following) break;
      current = following;
    }
  } catch (e) {
    abort.abort();
    throw e;
  }
  return pages.length === 1 ? (pages[0] as Page).views : pages.flatMap((p) => p.views);
}
