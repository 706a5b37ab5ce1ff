/** Small DOM helpers shared by the page's modules. */

/** The element with this id; index.html must have it. */
export function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found as T;
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
