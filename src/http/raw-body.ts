import type { HttpResponse, RawHttpResponse } from 'zapier-platform-core';

/**
 * Bodies of requests sent with `raw: true` (`CallArgs.sensitive`): core logs such a response as
 * `<probably streaming data>` instead of its body, so a credential in it (a login link) stays out
 * of Zapier's HTTP logs. The body can be read only once; the middleware (for an error status) and
 * the client (for the answer) share that one read here.
 */
const texts = new WeakMap<object, Promise<string>>();

export const rawText = (response: Pick<RawHttpResponse, 'text'>): Promise<string> => {
  let text = texts.get(response);
  if (!text) {
    text = response.text();
    texts.set(response, text);
  }
  return text;
};

/** True for a response to a `raw: true` request (its `content` must not be touched). */
export const isRaw = (
  response: HttpResponse | RawHttpResponse,
): response is RawHttpResponse & HttpResponse => response.request.raw === true;
