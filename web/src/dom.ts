/** Small DOM helpers shared by the page's modules. */

/**
 * The elements with these ids, under the names given: `elements({ retry: "retry" })` gives
 * `{ retry: HTMLElement }`. A tag before them types them as index.html's tag does:
 * `elements("button", { signIn: "sign-in" })` gives `{ signIn: HTMLButtonElement }`.
 */
export function elements<Ids extends Record<string, string>>(ids: Ids): { [Name in keyof Ids]: HTMLElement };
export function elements<Tag extends keyof HTMLElementTagNameMap, Ids extends Record<string, string>>(tag: Tag, ids: Ids): { [Name in keyof Ids]: HTMLElementTagNameMap[Tag] };
export function elements(...args: [Record<string, string>] | [string, Record<string, string>]): Record<string, HTMLElement> {
  const ids = args.length === 1 ? args[0] : args[1];
  return Object.fromEntries(Object.entries(ids).map(([name, id]) => [name, element(id)]));
}

/** The element with this id; index.html must have it. */
function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found;
}

export function show(target: HTMLElement, text?: string): void {
  if (text !== undefined) target.textContent = text;
  target.hidden = false;
}

export function hide(target: HTMLElement): void {
  target.hidden = true;
}

/** A `<time>` showing the local time of day of `date` (24-hour clock). */
export function timeElement(date: Date): HTMLTimeElement {
  const time = document.createElement("time");
  time.dateTime = date.toISOString();
  time.textContent = date.toLocaleTimeString([], { hour12: false });
  return time;
}
