// BBR v1 (net/ipv4/tcp_bbr.c), this machine's default congestion control: a model of the
// path — the bottleneck bandwidth (a windowed max of delivery-rate samples over 10 rounds)
// and the min RTT (a 10 s windowed min) — from which it sets the pacing rate (gain × bw)
// and cwnd (gain × BDP plus quantization budget). STARTUP doubles the rate each round until
// three rounds bring no 25% growth, DRAIN empties the queue that made, PROBE_BW cycles the
// pacing gain 5/4, 3/4, 1 × 6 (from a random phase), PROBE_RTT drops to 4 packets for
// 200 ms when the min RTT is 10 s old; the long-term ("policer") estimator takes over on
// consistent, lossy intervals. It paces through TCP's internal pacing (no fq here).
// Units as Linux's: bw in packets per µs << 24, gains << 8, times in µs and jiffies.
import type { CcSock, CongestionOps } from './tcp-cong';
import type { RateSample } from './tcp-rate';
import { HZ } from './tcp-timer';

const BW_SCALE = 24;
const BW_UNIT = 2 ** BW_SCALE;
const BBR_SCALE = 8;
const BBR_UNIT = 1 << BBR_SCALE;

const STARTUP = 0;
const DRAIN = 1;
const PROBE_BW = 2;
const PROBE_RTT = 3;
/** The mode names, as ss -i shows BBR's state. */
export const BBR_MODES = ['STARTUP', 'DRAIN', 'PROBE_BW', 'PROBE_RTT'] as const;

const CYCLE_LEN = 8;
const BW_RTTS = CYCLE_LEN + 2;
const MIN_RTT_WIN_SEC = 10;
const PROBE_RTT_MODE_MS = 200;
const MIN_TSO_RATE = 1_200_000;
const PACING_MARGIN_PERCENT = 1;
const HIGH_GAIN = Math.floor((BBR_UNIT * 2885) / 1000) + 1;
const DRAIN_GAIN = Math.floor((BBR_UNIT * 1000) / 2885);
const CWND_GAIN = BBR_UNIT * 2;
const PACING_GAIN = [(BBR_UNIT * 5) / 4, (BBR_UNIT * 3) / 4, BBR_UNIT, BBR_UNIT, BBR_UNIT, BBR_UNIT, BBR_UNIT, BBR_UNIT];
const CYCLE_RAND = 7;
const CWND_MIN_TARGET = 4;
const FULL_BW_THRESH = (BBR_UNIT * 5) / 4;
const FULL_BW_CNT = 3;
const LT_INTVL_MIN_RTTS = 4;
const LT_LOSS_THRESH = 50;
const LT_BW_RATIO = BBR_UNIT / 8;
const LT_BW_DIFF = 4000 / 8;
const LT_BW_MAX_RTTS = 48;
const EXTRA_ACKED_GAIN = BBR_UNIT;
const EXTRA_ACKED_WIN_RTTS = 5;
const ACK_EPOCH_ACKED_RESET_THRESH = 1 << 20;
const EXTRA_ACKED_MAX_US = 100 * 1000;
/** TCP_INIT_CWND, and GSO_LEGACY_MAX_SIZE - 1 - MAX_TCP_HEADER (bbr_tso_segs_goal's cap). */
const TCP_INIT_CWND = 10;
const TSO_GOAL_MAX_BYTES = 65536 - 1 - 320;
const CA_RECOVERY = 3;
const CA_LOSS = 4;

/** win_minmax.h's running max: three samples (best, 2nd, 3rd) over a window. */
interface MinmaxSample {
  t: number;
  v: number;
}
type Minmax = [MinmaxSample, MinmaxSample, MinmaxSample];

function minmaxReset(m: Minmax, t: number, v: number): number {
  m[0] = { t, v };
  m[1] = m[0];
  m[2] = m[0];
  return v;
}

function minmaxSubwinUpdate(m: Minmax, win: number, val: MinmaxSample): number {
  const dt = val.t - m[0].t;
  if (dt > win) {
    // The whole window passed without a new best: the 2nd and 3rd move up.
    m[0] = m[1];
    m[1] = m[2];
    m[2] = val;
    if (val.t - m[0].t > win) {
      m[0] = m[1];
      m[1] = m[2];
      m[2] = val;
    }
  } else if (m[1].t === m[0].t && dt > win / 4) {
    m[2] = m[1] = val;
  } else if (m[2].t === m[1].t && dt > win / 2) {
    m[2] = val;
  }
  return m[0].v;
}

/** minmax_running_max() */
function minmaxRunningMax(m: Minmax, win: number, t: number, v: number): number {
  const val = { t, v };
  if (v >= m[0].v || t - m[2].t > win) return minmaxReset(m, t, v);
  if (v >= m[1].v) m[2] = m[1] = val;
  else if (v >= m[2].v) m[2] = val;
  return minmaxSubwinUpdate(m, win, val);
}

/** struct bbr */
export interface BbrState {
  minRttUs: number;
  minRttStamp: number;
  probeRttDoneStamp: number;
  bw: Minmax;
  rttCnt: number;
  nextRttDelivered: number;
  cycleMstamp: number;
  mode: number;
  prevCaState: number;
  packetConservation: boolean;
  roundStart: boolean;
  idleRestart: boolean;
  probeRttRoundDone: boolean;
  ltIsSampling: boolean;
  ltRttCnt: number;
  ltUseBw: boolean;
  ltBw: number;
  ltLastDelivered: number;
  ltLastStamp: number;
  ltLastLost: number;
  pacingGain: number;
  cwndGain: number;
  fullBwReached: boolean;
  fullBwCnt: number;
  cycleIdx: number;
  hasSeenRtt: boolean;
  priorCwnd: number;
  fullBw: number;
  ackEpochMstamp: number;
  extraAcked: [number, number];
  ackEpochAcked: number;
  extraAckedWinRtts: number;
  extraAckedWinIdx: number;
}

const U32_MAX = 0xffffffff;
const segsOf = (sk: CcSock): number => Math.max(1, Math.floor(sk.cwnd / sk.mss));
const setSegs = (sk: CcSock, segs: number): void => void (sk.cwnd = Math.max(1, segs) * sk.mss);
const st = (sk: CcSock): BbrState => {
  if (!sk.ccPriv) bbrInit(sk);
  return sk.ccPriv as BbrState;
};

const bbrMaxBw = (b: BbrState): number => b.bw[0].v;
const bbrBw = (b: BbrState): number => (b.ltUseBw ? b.ltBw : bbrMaxBw(b));
const bbrExtraAcked = (b: BbrState): number => Math.max(b.extraAcked[0], b.extraAcked[1]);

/** bbr_rate_bytes_per_sec(): packets/µs << 24 with a gain, to bytes/s, 1% under. */
function rateBytesPerSec(sk: CcSock, rate: number, gain: number): number {
  let r = BigInt(Math.floor(rate)) * BigInt(sk.mss) * BigInt(gain);
  r >>= BigInt(BBR_SCALE);
  r *= BigInt((1_000_000 / 100) * (100 - PACING_MARGIN_PERCENT));
  return Number(r >> BigInt(BW_SCALE));
}

/** bbr_init_pacing_rate_from_rtt(): high_gain × init cwnd / RTT (1 ms before a sample). */
function initPacingRateFromRtt(sk: CcSock, b: BbrState): void {
  let rttUs: number;
  if (sk.srttUs8) {
    rttUs = Math.max(sk.srttUs8 >> 3, 1);
    b.hasSeenRtt = true;
  } else rttUs = 1000;
  const bw = Math.floor((segsOf(sk) * BW_UNIT) / rttUs);
  sk.pacingRate = rateBytesPerSec(sk, bw, HIGH_GAIN);
}

/** bbr_set_pacing_rate(): only up until the pipe is full, then as the model says. */
function setPacingRate(sk: CcSock, b: BbrState, bw: number, gain: number): void {
  const rate = rateBytesPerSec(sk, bw, gain);
  if (!b.hasSeenRtt && sk.srttUs8) initPacingRateFromRtt(sk, b);
  if (b.fullBwReached || rate > sk.pacingRate) sk.pacingRate = rate;
}

/** bbr_min_tso_segs() */
const minTsoSegs = (sk: CcSock): number => (sk.pacingRate < MIN_TSO_RATE >> 3 ? 1 : 2);

/** bbr_tso_segs_goal() */
function tsoSegsGoal(sk: CcSock): number {
  const bytes = Math.min(Math.floor(sk.pacingRate / 1024), TSO_GOAL_MAX_BYTES);
  const segs = Math.max(Math.floor(bytes / sk.mss), minTsoSegs(sk));
  return Math.min(segs, 0x7f);
}

/** bbr_save_cwnd() */
function saveCwnd(sk: CcSock, b: BbrState): void {
  if (b.prevCaState < CA_RECOVERY && b.mode !== PROBE_RTT) b.priorCwnd = segsOf(sk);
  else b.priorCwnd = Math.max(b.priorCwnd, segsOf(sk));
}

/** bbr_bdp(): ceil(bw × min_rtt × gain), in packets. */
function bdp(b: BbrState, bw: number, gain: number): number {
  if (b.minRttUs === U32_MAX) return TCP_INIT_CWND;
  const w = bw * b.minRttUs;
  return Math.floor((Math.floor((w * gain) / BBR_UNIT) + BW_UNIT - 1) / BW_UNIT);
}

/** bbr_quantization_budget(): room for full-sized skbs at both ends, an even number. */
function quantizationBudget(sk: CcSock, b: BbrState, cwnd: number): number {
  cwnd += 3 * tsoSegsGoal(sk);
  cwnd = (cwnd + 1) & ~1;
  if (b.mode === PROBE_BW && b.cycleIdx === 0) cwnd += 2;
  return cwnd;
}

const inflightFor = (sk: CcSock, b: BbrState, bw: number, gain: number): number => quantizationBudget(sk, b, bdp(b, bw, gain));

/** bbr_packets_in_net_at_edt(): what will still be in the network when the next skb leaves. */
function packetsInNetAtEdt(sk: CcSock, b: BbrState, inflightNow: number): number {
  const nowNs = sk.ccNow;
  const edtNs = Math.max(sk.wstampNs, nowNs);
  const intervalUs = Math.floor((edtNs - nowNs) / 1000);
  const intervalDelivered = Math.floor((bbrBw(b) * intervalUs) / BW_UNIT);
  let atEdt = inflightNow;
  if (b.pacingGain > BBR_UNIT) atEdt += tsoSegsGoal(sk);
  if (intervalDelivered >= atEdt) return 0;
  return atEdt - intervalDelivered;
}

/** bbr_ack_aggregation_cwnd() */
function ackAggregationCwnd(b: BbrState): number {
  if (!EXTRA_ACKED_GAIN || !b.fullBwReached) return 0;
  const maxAggr = Math.floor((bbrBw(b) * EXTRA_ACKED_MAX_US) / BW_UNIT);
  const aggr = Math.floor((EXTRA_ACKED_GAIN * bbrExtraAcked(b)) / BBR_UNIT);
  return Math.min(aggr, maxAggr);
}

/** bbr_set_cwnd_to_recover_or_restore(): packet conservation in recovery's first round,
 * the saved cwnd back when it ends. */
function recoverOrRestore(sk: CcSock, b: BbrState, rs: RateSample, acked: number): { cwnd: number; conserving: boolean } {
  const prev = b.prevCaState;
  const state = sk.caState;
  let cwnd = segsOf(sk);
  if (rs.losses > 0) cwnd = Math.max(cwnd - rs.losses, 1);
  if (state === CA_RECOVERY && prev !== CA_RECOVERY) {
    b.packetConservation = true;
    b.nextRttDelivered = sk.delivered;
    cwnd = sk.inFlight + acked;
  } else if (prev >= CA_RECOVERY && state < CA_RECOVERY) {
    cwnd = Math.max(cwnd, b.priorCwnd);
    b.packetConservation = false;
  }
  b.prevCaState = state;
  if (b.packetConservation) return { cwnd: Math.max(cwnd, sk.inFlight + acked), conserving: true };
  return { cwnd, conserving: false };
}

/** bbr_set_cwnd(): towards the target (slow start below it until the pipe is full). */
function setCwnd(sk: CcSock, b: BbrState, rs: RateSample, acked: number, bw: number, gain: number): void {
  let cwnd = segsOf(sk);
  if (acked) {
    const r = recoverOrRestore(sk, b, rs, acked);
    cwnd = r.cwnd;
    if (!r.conserving) {
      let target = bdp(b, bw, gain);
      target += ackAggregationCwnd(b);
      target = quantizationBudget(sk, b, target);
      if (b.fullBwReached) cwnd = Math.min(cwnd + acked, target);
      else if (cwnd < target || sk.delivered < TCP_INIT_CWND) cwnd = cwnd + acked;
      cwnd = Math.max(cwnd, CWND_MIN_TARGET);
    }
  }
  setSegs(sk, cwnd);
  if (b.mode === PROBE_RTT) setSegs(sk, Math.min(segsOf(sk), CWND_MIN_TARGET));
}

/** bbr_is_next_cycle_phase() */
function isNextCyclePhase(sk: CcSock, b: BbrState, rs: RateSample): boolean {
  const isFullLength = sk.deliveredMstamp - b.cycleMstamp > b.minRttUs;
  if (b.pacingGain === BBR_UNIT) return isFullLength;
  const inflight = packetsInNetAtEdt(sk, b, rs.priorInFlight);
  const bw = bbrMaxBw(b);
  if (b.pacingGain > BBR_UNIT) return isFullLength && (rs.losses > 0 || inflight >= inflightFor(sk, b, bw, b.pacingGain));
  return isFullLength || inflight <= inflightFor(sk, b, bw, BBR_UNIT);
}

function advanceCyclePhase(sk: CcSock, b: BbrState): void {
  b.cycleIdx = (b.cycleIdx + 1) & (CYCLE_LEN - 1);
  b.cycleMstamp = sk.deliveredMstamp;
}

function resetProbeBwMode(sk: CcSock, b: BbrState): void {
  b.mode = PROBE_BW;
  b.cycleIdx = CYCLE_LEN - 1 - sk.random(CYCLE_RAND);
  advanceCyclePhase(sk, b);
}

function resetMode(sk: CcSock, b: BbrState): void {
  if (!b.fullBwReached) b.mode = STARTUP;
  else resetProbeBwMode(sk, b);
}

function resetLtBwSamplingInterval(sk: CcSock, b: BbrState): void {
  b.ltLastStamp = Math.floor(sk.deliveredMstamp / 1000);
  b.ltLastDelivered = sk.delivered;
  b.ltLastLost = sk.lost;
  b.ltRttCnt = 0;
}

function resetLtBwSampling(sk: CcSock, b: BbrState): void {
  b.ltBw = 0;
  b.ltUseBw = false;
  b.ltIsSampling = false;
  resetLtBwSamplingInterval(sk, b);
}

/** bbr_lt_bw_interval_done(): two consistent intervals — a policer; use their average. */
function ltBwIntervalDone(sk: CcSock, b: BbrState, bw: number): void {
  if (b.ltBw) {
    const diff = Math.abs(bw - b.ltBw);
    if (diff * BBR_UNIT <= LT_BW_RATIO * b.ltBw || rateBytesPerSec(sk, diff, BBR_UNIT) <= LT_BW_DIFF) {
      b.ltBw = (bw + b.ltBw) >>> 1;
      b.ltUseBw = true;
      b.pacingGain = BBR_UNIT;
      b.ltRttCnt = 0;
      return;
    }
  }
  b.ltBw = bw;
  resetLtBwSamplingInterval(sk, b);
}

/** bbr_lt_bw_sampling(): the long-term estimator of a token-bucket policer's rate. */
function ltBwSampling(sk: CcSock, b: BbrState, rs: RateSample): void {
  if (b.ltUseBw) {
    if (b.mode === PROBE_BW && b.roundStart && ++b.ltRttCnt >= LT_BW_MAX_RTTS) {
      resetLtBwSampling(sk, b);
      resetProbeBwMode(sk, b);
    }
    return;
  }
  if (!b.ltIsSampling) {
    if (!rs.losses) return;
    resetLtBwSamplingInterval(sk, b);
    b.ltIsSampling = true;
  }
  if (rs.isAppLimited) {
    resetLtBwSampling(sk, b);
    return;
  }
  if (b.roundStart) b.ltRttCnt++;
  if (b.ltRttCnt < LT_INTVL_MIN_RTTS) return;
  if (b.ltRttCnt > 4 * LT_INTVL_MIN_RTTS) {
    resetLtBwSampling(sk, b);
    return;
  }
  if (!rs.losses) return;
  const lost = sk.lost - b.ltLastLost;
  const delivered = sk.delivered - b.ltLastDelivered;
  if (!delivered || lost * BBR_UNIT < LT_LOSS_THRESH * delivered) return;
  let t = Math.floor(sk.deliveredMstamp / 1000) - b.ltLastStamp;
  if (t < 1) return;
  if (t >= Math.floor(U32_MAX / 1000)) {
    resetLtBwSampling(sk, b);
    return;
  }
  t *= 1000;
  ltBwIntervalDone(sk, b, Math.floor((delivered * BW_UNIT) / t));
}

/** bbr_update_bw(): the round count, and the sample into the max filter. */
function updateBw(sk: CcSock, b: BbrState, rs: RateSample): void {
  b.roundStart = false;
  if (rs.delivered < 0 || rs.intervalUs <= 0) return;
  if (!(((rs.priorDelivered - b.nextRttDelivered) | 0) < 0)) {
    b.nextRttDelivered = sk.delivered;
    b.rttCnt++;
    b.roundStart = true;
    b.packetConservation = false;
  }
  ltBwSampling(sk, b, rs);
  const bw = Math.floor((rs.delivered * BW_UNIT) / rs.intervalUs);
  // An app-limited sample counts only if it shows at least the bandwidth already modelled.
  if (!rs.isAppLimited || bw >= bbrMaxBw(b)) minmaxRunningMax(b.bw, BW_RTTS, b.rttCnt, bw);
}

/** bbr_update_ack_aggregation(): how much more is ACKed than the bw explains. */
function updateAckAggregation(sk: CcSock, b: BbrState, rs: RateSample): void {
  if (!EXTRA_ACKED_GAIN || rs.ackedSacked <= 0 || rs.delivered < 0 || rs.intervalUs <= 0) return;
  if (b.roundStart) {
    b.extraAckedWinRtts = Math.min(0x1f, b.extraAckedWinRtts + 1);
    if (b.extraAckedWinRtts >= EXTRA_ACKED_WIN_RTTS) {
      b.extraAckedWinRtts = 0;
      b.extraAckedWinIdx = b.extraAckedWinIdx ? 0 : 1;
      b.extraAcked[b.extraAckedWinIdx] = 0;
    }
  }
  const epochUs = sk.deliveredMstamp - b.ackEpochMstamp;
  let expected = Math.floor((bbrBw(b) * epochUs) / BW_UNIT);
  if (b.ackEpochAcked <= expected || b.ackEpochAcked + rs.ackedSacked >= ACK_EPOCH_ACKED_RESET_THRESH) {
    b.ackEpochAcked = 0;
    b.ackEpochMstamp = sk.deliveredMstamp;
    expected = 0;
  }
  b.ackEpochAcked = Math.min(0xfffff, b.ackEpochAcked + rs.ackedSacked);
  const extra = Math.min(b.ackEpochAcked - expected, segsOf(sk));
  if (extra > b.extraAcked[b.extraAckedWinIdx]!) b.extraAcked[b.extraAckedWinIdx] = extra;
}

/** bbr_check_full_bw_reached(): three rounds without 25% more bandwidth: the pipe is full. */
function checkFullBwReached(b: BbrState, rs: RateSample): void {
  if (b.fullBwReached || !b.roundStart || rs.isAppLimited) return;
  const thresh = Math.floor((b.fullBw * FULL_BW_THRESH) / BBR_UNIT);
  if (bbrMaxBw(b) >= thresh) {
    b.fullBw = bbrMaxBw(b);
    b.fullBwCnt = 0;
    return;
  }
  b.fullBwCnt = Math.min(b.fullBwCnt + 1, 3);
  b.fullBwReached = b.fullBwCnt >= FULL_BW_CNT;
}

/** bbr_check_drain() */
function checkDrain(sk: CcSock, b: BbrState): void {
  if (b.mode === STARTUP && b.fullBwReached) {
    b.mode = DRAIN;
    sk.ssthresh = inflightFor(sk, b, bbrMaxBw(b), BBR_UNIT) * sk.mss;
  }
  if (b.mode === DRAIN && packetsInNetAtEdt(sk, b, sk.inFlight) <= inflightFor(sk, b, bbrMaxBw(b), BBR_UNIT)) resetProbeBwMode(sk, b);
}

/** bbr_check_probe_rtt_done() */
function checkProbeRttDone(sk: CcSock, b: BbrState): void {
  if (!(b.probeRttDoneStamp && sk.jiffies - b.probeRttDoneStamp > 0)) return;
  b.minRttStamp = sk.jiffies;
  setSegs(sk, Math.max(segsOf(sk), b.priorCwnd));
  resetMode(sk, b);
}

/** bbr_update_min_rtt(): the 10 s min filter, and PROBE_RTT when it expires. */
function updateMinRtt(sk: CcSock, b: BbrState, rs: RateSample): void {
  const expired = sk.jiffies - (b.minRttStamp + MIN_RTT_WIN_SEC * HZ) > 0;
  if (rs.rttUs >= 0 && (rs.rttUs < b.minRttUs || (expired && !rs.isAckDelayed))) {
    b.minRttUs = rs.rttUs;
    b.minRttStamp = sk.jiffies;
  }
  if (PROBE_RTT_MODE_MS > 0 && expired && !b.idleRestart && b.mode !== PROBE_RTT) {
    b.mode = PROBE_RTT;
    saveCwnd(sk, b);
    b.probeRttDoneStamp = 0;
  }
  if (b.mode === PROBE_RTT) {
    // Samples in this mode are low on purpose.
    sk.appLimited = sk.delivered + sk.inFlight || 1;
    if (!b.probeRttDoneStamp && sk.inFlight <= CWND_MIN_TARGET) {
      b.probeRttDoneStamp = (sk.jiffies + Math.ceil((PROBE_RTT_MODE_MS * HZ) / 1000)) | 0 || 1;
      b.probeRttRoundDone = false;
      b.nextRttDelivered = sk.delivered;
    } else if (b.probeRttDoneStamp) {
      if (b.roundStart) b.probeRttRoundDone = true;
      if (b.probeRttRoundDone) checkProbeRttDone(sk, b);
    }
  }
  if (rs.delivered > 0) b.idleRestart = false;
}

/** bbr_update_gains() */
function updateGains(b: BbrState): void {
  switch (b.mode) {
    case STARTUP:
      b.pacingGain = HIGH_GAIN;
      b.cwndGain = HIGH_GAIN;
      break;
    case DRAIN:
      b.pacingGain = DRAIN_GAIN;
      b.cwndGain = HIGH_GAIN;
      break;
    case PROBE_BW:
      b.pacingGain = b.ltUseBw ? BBR_UNIT : PACING_GAIN[b.cycleIdx]!;
      b.cwndGain = CWND_GAIN;
      break;
    default:
      b.pacingGain = BBR_UNIT;
      b.cwndGain = BBR_UNIT;
  }
}

/** bbr_init() */
function bbrInit(sk: CcSock): void {
  const b: BbrState = {
    minRttUs: sk.minRttUs || U32_MAX,
    minRttStamp: sk.jiffies,
    probeRttDoneStamp: 0,
    bw: [
      { t: 0, v: 0 },
      { t: 0, v: 0 },
      { t: 0, v: 0 },
    ],
    rttCnt: 0,
    nextRttDelivered: sk.delivered,
    cycleMstamp: 0,
    mode: STARTUP,
    prevCaState: 0,
    packetConservation: false,
    roundStart: false,
    idleRestart: false,
    probeRttRoundDone: false,
    ltIsSampling: false,
    ltRttCnt: 0,
    ltUseBw: false,
    ltBw: 0,
    ltLastDelivered: 0,
    ltLastStamp: 0,
    ltLastLost: 0,
    pacingGain: HIGH_GAIN,
    cwndGain: HIGH_GAIN,
    fullBwReached: false,
    fullBwCnt: 0,
    cycleIdx: 0,
    hasSeenRtt: false,
    priorCwnd: 0,
    fullBw: 0,
    ackEpochMstamp: Math.floor(sk.ccNow / 1000),
    extraAcked: [0, 0],
    ackEpochAcked: 0,
    extraAckedWinRtts: 0,
    extraAckedWinIdx: 0,
  };
  sk.ccPriv = b;
  sk.ssthresh = 0x7fffffff;
  initPacingRateFromRtt(sk, b);
  resetLtBwSampling(sk, b);
}

export const BBR: CongestionOps = {
  name: 'bbr',
  init: (sk) => bbrInit(sk),
  // bbr_main(): the model from the rate sample, then the pacing rate and cwnd from it.
  congControl(sk, rs) {
    const b = st(sk);
    updateBw(sk, b, rs);
    updateAckAggregation(sk, b, rs);
    if (b.mode === PROBE_BW && isNextCyclePhase(sk, b, rs)) advanceCyclePhase(sk, b);
    checkFullBwReached(b, rs);
    checkDrain(sk, b);
    updateMinRtt(sk, b, rs);
    updateGains(b);
    const bw = bbrBw(b);
    setPacingRate(sk, b, bw, b.pacingGain);
    setCwnd(sk, b, rs, rs.ackedSacked, bw, b.cwndGain);
  },
  // bbr_ssthresh(): entering recovery, the cwnd is saved; ssthresh stays.
  ssthresh(sk) {
    saveCwnd(sk, st(sk));
    return sk.ssthresh;
  },
  congAvoid() {},
  // bbr_undo_cwnd(): a spurious slow-down — the full-pipe detection starts over.
  undoCwnd(sk) {
    const b = st(sk);
    b.fullBw = 0;
    b.fullBwCnt = 0;
    resetLtBwSampling(sk, b);
    return sk.cwnd;
  },
  sndbufExpand: () => 3,
  minTsoSegs,
  // bbr_set_state(TCP_CA_Loss): an RTO ends a round, and counts as a loss for the
  // long-term estimator.
  onLoss(sk) {
    const b = st(sk);
    b.prevCaState = CA_LOSS;
    b.fullBw = 0;
    b.roundStart = true;
    const rs = { losses: 1 } as RateSample;
    ltBwSampling(sk, b, rs);
  },
  // bbr_cwnd_event(CA_EVENT_TX_START): restarting from idle, app-limited.
  txStart(sk) {
    if (!sk.appLimited) return;
    const b = st(sk);
    b.idleRestart = true;
    b.ackEpochMstamp = Math.floor(sk.ccNow / 1000);
    b.ackEpochAcked = 0;
    if (b.mode === PROBE_BW) setPacingRate(sk, b, bbrBw(b), BBR_UNIT);
    else if (b.mode === PROBE_RTT) checkProbeRttDone(sk, b);
  },
  pacing: true,
};

