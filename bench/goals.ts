/** The issue's goals against the latest figures of each section (read back from BENCHMARKS.md). */
import { millis, percent, rate, ratio, seconds, table } from "./lib/stats.js";

type Findings = Record<string, Record<string, unknown>>;

export function goalsSection(findings: Findings): string {
  const a = findings.authorizer;
  const c = findings.cold;
  const b = findings.broadcast;
  const ch = findings.channel;
  const l = findings.load;
  const r = findings.limits;
  const f = findings.fanout;
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
  const timedOut = (count: unknown) => (n(count) > 0 ? `timed out at ${seconds(n(ch?.timeoutMs))} (${n(count)} of ${n(ch?.rounds)} publishes)` : undefined);
  const channelRows = [
    [
      "Channel publish to 1,000 subscribers on the local stack: ≥ 0.8× the `sendmessage` broadcast's deliveries/s, exactly once",
      l ? `${ratio(n(l.channelOverBroadcast))} (${rate(n(l.channelPerSecond))}/s vs ${rate(n(l.broadcastPerSecond))}/s); exactly once: ${l.channelExactlyOnce ? "yes" : "no"}` : "–",
      verdict(l && n(l.channelOverBroadcast) >= 0.8 && Boolean(l.channelExactlyOnce)),
    ],
    [
      "Resume: `subscribe` with `since` to the last of 100 replayed messages ≤ 50 ms (local stack)",
      l ? `${millis(n(l.resumeMs))}${l.resumesComplete ? "" : ", some incomplete"}` : "–",
      verdict(l && n(l.resumeMs) <= 50 && Boolean(l.resumesComplete)),
    ],
    [
      "Channel fan-out ≤ 0.6 s for 1,000 subscribers at 20 ms per post (one in ten gone, as the broadcast)",
      ch
        ? `${timedOut(ch.channelTimedOutAt1000) ?? seconds(n(ch.channelAt1000Ms))}; every subscriber live: ${seconds(n(ch.liveAt1000Ms))}, ${ratio(n(ch.liveOverBroadcastAt1000))} the broadcast's ${seconds(n(ch.broadcastAt1000Ms))} in the same run`
        : "–",
      verdict(ch && n(ch.channelTimedOutAt1000) === 0 && n(ch.channelAt1000Ms) <= 600),
    ],
    [
      "Channel fan-out: no errors at 5,000",
      ch ? `${n(ch.channelFailuresAt5000)} live subscribers not reached${n(ch.channelTimedOutAt5000) > 0 ? `, ${timedOut(ch.channelTimedOutAt5000)}` : ""}; every subscriber live: ${n(ch.liveFailuresAt5000)}` : "–",
      verdict(ch && n(ch.channelFailuresAt5000) === 0),
    ],
  ];
  const talkers = (route: "Sendmessage" | "Publish") => (r?.[`talkersOn${route}`] ?? {}) as Record<string, unknown>;
  const talkersFigure = (route: "Sendmessage" | "Publish") =>
    `${rate(n(talkers(route).floodDeliveriesPerSecond))}/s with the flood vs ${rate(n(talkers(route).quietDeliveriesPerSecond))}/s without, ${(n(talkers(route).floodDeliveredShare) * 100).toFixed(1)}% delivered`;
  const limitRows = [
    [
      "Rate limit's cost on the local stack ≤ +10% p50, `publish` and `sendmessage`, side by side with the limit off",
      r ? `${percent(n(r.publishAddedP50))} on \`publish\`, ${percent(n(r.sendmessageAddedP50))} on \`sendmessage\`` : "–",
      verdict(r && n(r.publishAddedP50) <= 0.1 && n(r.sendmessageAddedP50) <= 0.1),
    ],
    [
      "At most one DynamoDB write per frame",
      r ? `${n(r.rateWritesPerFrameOn).toFixed(3)} per frame; under the flood ${n(r.floodRateWritesPerFrame).toFixed(3)}` : "–",
      verdict(r && n(r.rateWritesPerFrameOn) <= 1 && n(r.floodRateWritesPerFrame) <= 1),
    ],
    [
      "A flood (one user, 1,000 frames/s for 10 s): the nine others' deliveries unaffected (all delivered, deliveries/s within 10%), on the flooded route",
      r ? `\`sendmessage\`: ${talkersFigure("Sendmessage")}` : "–",
      verdict(r && talkers("Sendmessage").unaffected === true),
    ],
    ["… and on another route", r ? `\`publish\`: ${talkersFigure("Publish")}` : "–", verdict(r && talkers("Publish").unaffected === true)],
    [
      "… the flooder gets `TooManyRequests`, no more than the limit through",
      r ? `${Math.round(n(r.flooderRefused))} refused, ${Math.round(n(r.flooderDelivered))} through per round; within the limit: ${r.flooderWithinLimit ? "yes" : "no"}` : "–",
      verdict(r && n(r.flooderRefused) > 0 && r.flooderWithinLimit === true),
    ],
  ];
  const fanOutRows = [
    [
      "100,000 recipients through the deliver workers (20 ms per post, 429 above 10,000/s, 256 MB CPU share): ≤ 1.2 × the floor of 100,000 ÷ `postRateLimit`",
      f ? `${ratio(n(f.overFloor))} the floor (${Number(f.recipients).toLocaleString("en-US")} recipients)` : "–",
      verdict(f && n(f.recipients) >= 100_000 && n(f.overFloor) <= 1.2),
    ],
    [
      "…with 0 lost and 0 duplicated (at 1,000, 10,000 and 100,000)",
      f ? `${n(f.lost)} lost, ${n(f.duplicated)} duplicated` : "–",
      verdict(f && n(f.lost) === 0 && n(f.duplicated) === 0),
    ],
  ];
  return [
    "## Goals",
    "",
    "From the latest run of each section below.",
    "",
    table(["goal (issue 7)", "measured", ""], rows),
    "",
    table(["goal (issue 13)", "measured", ""], channelRows),
    "",
    table(["goal (issue 14)", "measured", ""], limitRows),
    "",
    table(["goal (issue 15)", "measured", ""], fanOutRows),
  ].join("\n");
}
