// TypeScript typings of `window.OpenCTI`, the Call Control Panel's JavaScript
// API (DESIGN.md §2, §3, §9). Kept in step with the exports by the e2e suite
// (`tsc --noEmit` over end2end/typings/usage.ts and a runtime check that
// every function declared here exists).

export type ErrorCode =
  | 'OPENCTI_AGENT_NOT_LOGGED_IN' | 'OPENCTI_AGENT_LOGGED_IN' | 'OPENCTI_CALL_REJECTED'
  | 'OPENCTI_CF_INVALID_DESTINATION' | 'OPENCTI_CF_INVALID_OBJECT_STATE' | 'OPENCTI_CONF_ALREADY_PRESENT'
  | 'OPENCTI_DEST_BUSY' | 'OPENCTI_IN_SAME_STATE' | 'OPENCTI_BAD_REQUEST' | 'OPENCTI_UNAUTHORIZED'
  | 'OPENCTI_LINK_DOWN' | 'OPENCTI_NOT_SUPPORTED' | `OPENCTI_HTTP_ERROR_${number}`;

/** What every Promise rejects with: a plain object, not an Error. */
export interface OpenCtiError { errCode: ErrorCode; errMessage: string; }

export type EventType = 'SnapshotEvent' | 'AgentStateEvent' | 'CallStateEvent' | 'PartyInfoEvent' | 'CallInfoEvent' | 'VoiceAIEvent';
export type WorkMode = 'MODE_NONE' | 'MODE_AUTO_IN' | 'MODE_MANUAL_IN' | 'ACW' | 'BUSY' | 'AUX_WORK';
export type CallType = 'INBOUND' | 'OUTBOUND' | 'INTERNAL' | 'CONSULT' | 'UNKNOWN';
export type CallStateName = 'Alerting' | 'Initiated' | 'Established' | 'Connected' | 'Held' | 'Retrieved' | 'Disconnected' | 'Abandoned';
export type TelephonyMode = 'simple' | 'agent-state' | 'full';
export type UserData = Record<string, string>;

export type RecordingState = 'active' | 'paused';

export interface Party { pyDN: string; pyState: 'initiated' | 'alerting' | 'queued' | 'connected' | 'held' | 'failed'; }

export interface SnapshotCall {
  pyCallId: string; pyCallState: CallStateName; pyCallType: CallType;
  pyANI: string; pyDNIS: string; pyOtherDN: string;
  pyParties: Party[]; pyUserData: UserData; pyQueue?: string;
  /** The skills of the queue that offered the call here. */
  pySkills?: string[];
  /** Recorded calls only: paused while a card number is read out. */
  pyRecording?: RecordingState;
  pyTimestamp?: number; pyStartTime?: number;
}

export interface SnapshotEvent {
  pyEventType: 'SnapshotEvent'; pyEventName: 'Snapshot';
  pyAgentId: string; pyAgentState: 'Ready' | 'NotReady' | 'Login' | 'Logout' | 'Busy' | 'Unknown';
  pyWorkMode: WorkMode; pyReasonCode: string;
  pyDeviceState: 'OPENED' | 'CLOSED'; pyLinkState: 'CONNECTED' | 'DISCONNECTED';
  pyThisDN: string; pyTelephonyMode: TelephonyMode; pyTimestamp?: number; pyWrapUpEndsAt?: number;
  pyCalls: SnapshotCall[];
  /** Not-ready reason codes the CTI server accepts (the "Not ready" menu). */
  pyReasonCodes?: string[];
  /** Outcomes an agent may record at wrap-up. */
  pyDispositions?: string[];
}

export interface AgentStateEvent {
  pyEventType: 'AgentStateEvent'; pyEventName: 'Login' | 'Ready' | 'NotReady' | 'Logout' | 'Unknown';
  pyAgentId: string; pyReasonCode?: string; pyWorkMode: WorkMode; pyThisDN?: string;
  pyTimestamp?: number; pyWrapUpEndsAt?: number;
}

export interface CallStateEvent {
  pyEventType: 'CallStateEvent'; pyEventName: CallStateName;
  pyCallId: string; pyCallType: CallType; pyANI: string; pyDNIS: string; pyOtherDN: string;
  pyThisDN?: string; pyMedia: 'Phone'; pyTimestamp?: number; pyQueue?: string; pyCause?: string;
}

export interface PartyInfoEvent { pyEventType: 'PartyInfoEvent'; pyEventName: 'PartyInfo'; pyCallId: string; pyThisDN?: string; pyParties: Party[]; }
export interface CallInfoEvent {
  pyEventType: 'CallInfoEvent'; pyEventName: 'CallInfo'; pyCallId: string; pyUserData: UserData; pyQueue?: string;
  /** The skills of the queue that offered the call here: why it came. */
  pySkills?: string[];
  /** A recorded call's recording: sent when it starts, pauses and resumes. */
  pyRecording?: RecordingState;
  /** The outcome recorded at wrap-up (the call may be over by then). */
  pyDisposition?: string;
}

/** What an AI engine listening to a call said (an utterance, an intent, a suggestion, the summary). */
export type VoiceAIEvent = { pyEventType: 'VoiceAIEvent'; pyCallId: string; pyTimestamp?: number } & (
  | { pyEventName: 'Utterance'; pySpeaker: 'customer' | 'agent'; pyText: string; /** false: replaced by the speaker's next utterance. */ pyFinal: boolean; /** seconds from the start of the call's audio */ pyStart?: number; pyEnd?: number }
  | { pyEventName: 'Intent'; pyIntent: string; /** 0–1 */ pyConfidence: number }
  | { pyEventName: 'Suggestion'; pyTitle: string; pyText: string; pyURL?: string }
  | { pyEventName: 'Summary'; pyText: string }
);

export type OpenCtiEvent = SnapshotEvent | AgentStateEvent | CallStateEvent | PartyInfoEvent | CallInfoEvent | VoiceAIEvent;

export interface CallOptions { userData?: UserData; }
export interface LoginOptions { telephonyMode?: TelephonyMode; }
export interface CallCreated { callId: string; }

/** The Interface functions' JavaScript names. */
export type FunctionName =
  | 'login' | 'logout' | 'agentReady' | 'agentNotReady' | 'makeCall' | 'answerCall' | 'rejectCall'
  | 'hangUpCall' | 'holdCall' | 'retrieveCall' | 'sendDTMF' | 'blindTransfer' | 'transferInitiate'
  | 'transferComplete' | 'conferenceInitiate' | 'conferenceComplete' | 'dropParty' | 'alternateCall'
  | 'completeWrapUp' | 'getDirectory' | 'pauseRecording' | 'resumeRecording';

/** What `getDirectory()` resolves with: transfer targets (app/schemas/Directory.schema.json). */
export interface Directory {
  pyAgents: { pyAgentId: string; pyName?: string; pyThisDN: string; pyAgentState: SnapshotEvent['pyAgentState']; pyWorkMode?: WorkMode }[];
  pyQueues: { pyQueue: string; pyName?: string; pyCallsWaiting?: number }[];
}

/** Capabilities beyond the functions: the softphone's audio, recorded calls' `pyRecording`. */
export type Feature = 'audio' | 'recording';
export interface Declaration { version?: string; capabilities: (FunctionName | Feature)[]; name?: string; }
export interface Capabilities { implementation: string; version: string; capabilities: (FunctionName | Feature)[]; }

/** An integrator's implementation: any subset of the Interface functions. */
export type JavaScriptImplementation = Partial<Record<FunctionName, (...args: any[]) => unknown>> & Partial<Declaration>;

export interface OpenCTI {
  login(agentId: string, password: string, extension?: string, options?: LoginOptions): Promise<SnapshotEvent>;
  logout(agentId?: string, reasonCode?: string): Promise<null>;
  agentReady(agentId?: string, workMode?: WorkMode): Promise<null>;
  agentNotReady(agentId?: string, workMode?: WorkMode, reasonCode?: string): Promise<null>;
  makeCall(destination: string, options?: CallOptions): Promise<CallCreated>;
  answerCall(callId: string): Promise<null>;
  rejectCall(callId: string): Promise<null>;
  hangUpCall(callId: string): Promise<null>;
  holdCall(callId: string): Promise<null>;
  retrieveCall(callId: string): Promise<null>;
  sendDTMF(callId: string, digits: string): Promise<null>;
  blindTransfer(callId: string, destination: string, options?: CallOptions): Promise<null>;
  transferInitiate(callId: string, destination: string, options?: CallOptions): Promise<CallCreated>;
  transferComplete(heldCallId: string, consultCallId: string): Promise<null>;
  conferenceInitiate(callId: string, destination: string, options?: CallOptions): Promise<CallCreated>;
  conferenceComplete(heldCallId: string, consultCallId: string): Promise<null>;
  dropParty(callId: string, party: string): Promise<null>;
  alternateCall(heldCallId: string, activeCallId: string): Promise<null>;
  completeWrapUp(disposition?: string, note?: string): Promise<null>;
  getDirectory(): Promise<Directory>;
  /** Stops writing a recorded call's audio (silence in its place) until resumed. */
  pauseRecording(callId: string): Promise<null>;
  resumeRecording(callId: string): Promise<null>;

  on(eventType: EventType | '*', callback: (event: OpenCtiEvent) => void): void;
  off(eventType: EventType | '*', callback: (event: OpenCtiEvent) => void): void;
  getState(): SnapshotEvent;
  getCapabilities(): Capabilities;
  useImplementation(implementation: JavaScriptImplementation, declaration?: Declaration): Promise<Capabilities>;
  publishEvent(event: OpenCtiEvent): Promise<null>;
  /**
   * Runs the Pega Call OpenCTI adapter registered as
   * `pega.cti.desktopApi[name]` (callbacks, events through `forwardEvent`)
   * as the Implementation; from `/opencti-pega.js`, which every panel page
   * loads (docs/integrating.md). Rejects with `OPENCTI_BAD_REQUEST` when no
   * such adapter is registered. A request whose callback never comes
   * rejects with `OPENCTI_HTTP_ERROR_408` after `timeoutMs` (10 s).
   */
  usePegaImplementation?(name: string, linkDef?: PegaLinkDef, options?: { timeoutMs?: number }): Promise<Capabilities>;
}

/** Pega's CTI link definition, as an adapter's `login` receives it. */
export interface PegaLinkDef {
  pyPrimaryHost: string;
  pyPrimaryPort: string;
  CustomProperties: { pyPropertyName: string; pyPropertyValue: string }[];
}

declare global {
  interface Window { OpenCTI?: OpenCTI; }
}
