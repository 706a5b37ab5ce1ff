/** The goals against the latest figures of each section (read back from BENCHMARKS.md). */
import { percent, ratio, seconds, table } from "./lib/stats.js";

type Findings = Record<string, Record<string, number | string>>;

export function goalsSection(findings: Findings): string {
  const a = findings.authorizer;
  const c = findings.cold;
  const b = findings.broadcast;
  const n = (value: unknown) => (typeof value === "number" ? value : Number.NaN);
  const verdict = (met: boolean | undefined) => (met === undefined ? "not measured" : met ? "met" : "**not met**");
  const rows = [
    [
      "Authorizer handler overhead over bare `jose` ≤ 10% (fresh tokens)",
      a ? `${percent(n(a.overheadP50))} p50, ${percent(n(a.overheadMean))} time per verification (the two alone); ${percent(n(a.overheadP50AmongAll))} p50 among all five` : "–",
      verdict(a && [a.overheadP50, a.overheadMean, a.overheadP50AmongAll].every((overhead) => n(overhead) <= 0.1)),
    ],
    [
      "Cold: no key fetch before the first Allow",
      c ? `${n(c.oursFetches)} JWKS requests` : "–",
      verdict(c && n(c.oursFetches) === 0),
    ],
    [
      "Cold: first Allow sooner than `aws-jwt-verify`",
      c ? `${ratio(n(c.oursOverAwsJwtVerify))} its time` : "–",
      verdict(c && n(c.oursOverAwsJwtVerify) < 1),
    ],
    [
      "Repeated tokens: ahead of every peer",
      a ? `${ratio(n(a.repeatedLead))} the fastest peer (${String(a.fastestPeer)})` : "–",
      verdict(a && n(a.repeatedLead) > 1),
    ],
    [
      "Broadcast ≤ 0.6 s for 1,000 connections at 20 ms per post",
      b ? seconds(n(b.oursAt1000Ms)) : "–",
      verdict(b && n(b.oursAt1000Ms) <= 600),
    ],
    [
      "Broadcast: no errors at 5,000",
      b ? `${n(b.oursFailuresAt5000)} failures` : "–",
      verdict(b && n(b.oursFailuresAt5000) === 0),
    ],
  ];
  return ["## Goals", "", "From the latest run of each section below.", "", table(["goal (issue 7)", "measured", ""], rows)].join("\n");
}
