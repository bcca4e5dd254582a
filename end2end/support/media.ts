import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import type { CcpServer } from 'ccp-testkit';
import config from '../playwright.config';

/**
 * What the audio tests share: Debian Chromium with a fake microphone
 * playing a tone, a record of the page's peer connections, and what the
 * page and the simulator's far end received.
 */

/** A 440 Hz tone at half scale, 48 kHz mono, 2 s (Chromium loops it). */
export function toneWav(): string {
  const rate = 48_000;
  const samples = rate * 2;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) {
    wav.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 16_000), 44 + i * 2);
  }
  const path = join(mkdtempSync(join(tmpdir(), 'ccp-audio-')), 'tone.wav');
  writeFileSync(path, wav);
  return path;
}

export const baseArgs = (config.use?.launchOptions?.args ?? []) as string[];
export const executablePath = config.use?.launchOptions?.executablePath;

/** Keeps every RTCPeerConnection the page makes, for `getStats()`, and
 * notes when audio elements start and stop playing. */
export function recordPeers() {
  const Original = window.RTCPeerConnection;
  const peers: RTCPeerConnection[] = [];
  (window as any).__peers = peers;
  const playback: string[] = [];
  (window as any).__playback = playback;
  const { play, pause } = HTMLMediaElement.prototype;
  HTMLMediaElement.prototype.play = function () {
    playback.push('play');
    return play.call(this);
  };
  HTMLMediaElement.prototype.pause = function () {
    playback.push('pause');
    return pause.call(this);
  };
  (window as any).RTCPeerConnection = function (...args: any[]) {
    const peer = new Original(...(args as [RTCConfiguration]));
    peers.push(peer);
    return peer;
  };
  (window as any).RTCPeerConnection.prototype = Original.prototype;
}

/** The page's inbound audio: packets received and the level (0…1). */
export async function inbound(page: Page) {
  return page.evaluate(async () => {
    const peer = (window as any).__peers.at(-1) as RTCPeerConnection | undefined;
    if (!peer) return { packets: 0, level: 0 };
    for (const report of (await peer.getStats()).values()) {
      if (report.type === 'inbound-rtp' && report.kind === 'audio') {
        return { packets: report.packetsReceived ?? 0, level: report.audioLevel ?? 0 };
      }
    }
    return { packets: 0, level: 0 };
  });
}

export type SimAudio = { sent: number; received: number; level: number };

export async function simAudio(server: CcpServer, callId: string): Promise<SimAudio> {
  const calls = (await (await fetch(`${server.url}/api/sim/calls`)).json()) as { callId: string; audio: SimAudio }[];
  const call = calls.find((c) => c.callId === callId);
  if (!call) throw new Error(`no call ${callId}`);
  return call.audio;
}

/** Debian Chromium with the fake microphone playing the tone. */
export function launchWithTone() {
  return chromium.launch({
    executablePath,
    args: [
      ...baseArgs,
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${toneWav()}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}
