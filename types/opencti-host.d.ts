// Typings of the host SDK served at /opencti-host.js.
import type { EventType, FunctionName, OpenCtiEvent } from './opencti';

export interface EmbedOptions {
  /** Element or selector the iframe goes into. */
  container: string | Element;
  /** The panel's /embed URL. */
  url: string;
  /** Query options: agentId (login pre-fill), theme ('light' | 'dark'), compact, lang. */
  params?: Record<string, string | number | boolean>;
  /** The panel's language: 'en', 'es', 'de' or 'ar' (else the browser's, else English). */
  lang?: 'en' | 'es' | 'de' | 'ar';
  width?: number;
  height?: number;
  title?: string;
}

export interface EmbeddedPanel {
  iframe: HTMLIFrameElement;
  /** Resolves when the panel has posted opencti:ready. */
  ready: Promise<void>;
  /** Calls an Interface function; rejects with {errCode, errMessage}. */
  call(fn: FunctionName, args?: Record<string, unknown>): Promise<unknown>;
  clickToDial(number: string): Promise<{ callId: string }>;
  on(eventType: EventType | '*', callback: (event: OpenCtiEvent) => void): void;
  off(eventType: EventType | '*', callback: (event: OpenCtiEvent) => void): void;
  destroy(): void;
}

declare global {
  interface Window { OpenCTIHost: { embed(options: EmbedOptions): EmbeddedPanel }; }
}
