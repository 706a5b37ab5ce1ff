/**
 * Channel names and who may use them. A name is 1–5 segments joined by `/`; `channelRules` are
 * evaluated in order, the first rule whose pattern matches decides, and no match forbids.
 */

export const maxChannelSegments = 5;
export const maxChannelLength = 255;
const segmentPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `name` is a valid channel name. */
export function isChannelName(name: unknown): name is string {
  if (typeof name !== "string" || name.length === 0 || name.length > maxChannelLength) return false;
  const segments = name.split("/");
  return segments.length <= maxChannelSegments && segments.every((segment) => segmentPattern.test(segment));
}

export const channelNameRule = `1–${maxChannelSegments} segments of letters, digits, _ and - (1–64 each) joined by "/", at most ${maxChannelLength} characters`;

export type Permission = "subscribe" | "publish";

/** `authenticated`: any connected user; `group:NAME`: the token's `cognito:groups` contains NAME. */
export type Principal = "authenticated" | `group:${string}`;

export interface ChannelRule {
  /** Segments: a literal, `*` (one segment), `**` (one or more, last only) or `{sub}` (the caller's own sub). */
  readonly channel: string;
  readonly subscribe: readonly Principal[];
  readonly publish: readonly Principal[];
}

export const defaultChannelRules: readonly ChannelRule[] = [
  { channel: "public/*", subscribe: ["authenticated"], publish: ["authenticated"] },
  { channel: "users/{sub}", subscribe: ["authenticated"], publish: [] },
];

/** The first rule whose pattern matches the channel for this caller; undefined forbids. */
export const ruleFor = (rules: readonly ChannelRule[], channel: string, sub: string): ChannelRule | undefined =>
  rules.find((candidate) => matches(candidate.channel, channel, sub));

/** Whether the rule's principals for this permission name a group (and so need the caller's groups). */
export const namesGroups = (rule: ChannelRule, permission: Permission): boolean => rule[permission].some((principal) => principal !== "authenticated");

export const admits = (rule: ChannelRule, permission: Permission, groups: readonly string[]): boolean =>
  rule[permission].some((principal) => principal === "authenticated" || groups.includes(principal.slice("group:".length)));

function matches(pattern: string, channel: string, sub: string): boolean {
  const wanted = pattern.split("/");
  const segments = channel.split("/");
  for (const [index, part] of wanted.entries()) {
    if (part === "**") return segments.length > index;
    const segment = segments[index];
    if (segment === undefined) return false;
    if (part === "*") continue;
    if (part === "{sub}" ? segment !== sub : segment !== part) return false;
  }
  return segments.length === wanted.length;
}

/**
 * Checks rules from configuration (parsed JSON) and returns them; throws an `Error` whose message
 * names the rule's index and what is wrong with it.
 */
export function parseChannelRules(value: unknown): ChannelRule[] {
  if (!Array.isArray(value)) throw new Error("must be a JSON array of rules");
  return value.map((rule: unknown, index) => {
    const fail = (problem: string): never => {
      throw new Error(`rule ${index}: ${problem}`);
    };
    if (typeof rule !== "object" || rule === null || Array.isArray(rule)) fail(`must be an object {"channel","subscribe","publish"}`);
    const { channel, subscribe = [], publish = [], ...unknown } = rule as Record<string, unknown>;
    const extra = Object.keys(unknown);
    if (extra.length > 0) fail(`unknown field ${JSON.stringify(extra[0])} (fields: channel, subscribe, publish)`);
    if (typeof channel !== "string") fail(`"channel" must be a pattern string such as "public/*"`);
    const patternProblem = checkPattern(channel as string);
    if (patternProblem) fail(`"channel" ${JSON.stringify(channel)} ${patternProblem}`);
    return {
      channel: channel as string,
      subscribe: principals(subscribe, "subscribe", fail),
      publish: principals(publish, "publish", fail),
    };
  });
}

function checkPattern(pattern: string): string | undefined {
  const segments = pattern.split("/");
  if (segments.length > maxChannelSegments) return `has more than ${maxChannelSegments} segments`;
  for (const [index, segment] of segments.entries()) {
    if (segment === "**" && index !== segments.length - 1) return `uses "**" before its last segment`;
    if (segment !== "*" && segment !== "**" && segment !== "{sub}" && !segmentPattern.test(segment)) {
      return `has the segment ${JSON.stringify(segment)}: each is a literal of letters, digits, _ and - (1–64), "*", "**" (last) or "{sub}"`;
    }
  }
  return undefined;
}

function principals(value: unknown, field: Permission, fail: (problem: string) => never): Principal[] {
  const accepted = `a list of "authenticated" or "group:NAME"`;
  if (!Array.isArray(value)) return fail(`"${field}" must be ${accepted}`);
  return value.map((principal: unknown) =>
    principal === "authenticated" || (typeof principal === "string" && /^group:.{1,128}$/.test(principal))
      ? (principal as Principal)
      : fail(`"${field}" has ${JSON.stringify(principal)}; it must be ${accepted}`),
  );
}
