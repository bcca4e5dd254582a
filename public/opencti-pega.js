// OpenCTI Pega host layer: runs an OpenCTI implementation written for Pega
// Call, unmodified, as the panel's Implementation (docs/integrating.md).
//
// Pega's adapters are prototypes registered as pega.cti.desktopApi.<Name>
// whose methods take (…, success, failure) callbacks and send events back
// through the forwardEvent callback handed to login. This layer provides the
// globals they expect (pega.cti.desktopApi, pega.cti.API, pega.cti.Logger),
// calls them with Pega's arguments, turns their callbacks into the Promises
// of window.OpenCTI, validates what they forward as publishEvent does, and
// infers their capabilities from the methods they define.
//
//   OpenCTI.usePegaImplementation('AcmeCti', linkDef?, { timeoutMs? })
//
// A server started with --pega-config names the adapter in the page
// (<meta name="opencti-pega">); the panel then starts with it.
(function (global) {
  'use strict';

  const pega = (global.pega = global.pega || {});
  const cti = (pega.cti = pega.cti || {});
  cti.desktopApi = cti.desktopApi || {};

  /** The logger adapters create with `new pega.cti.Logger()`. */
  function Logger(name) {
    this.name = name || 'pega.cti';
  }
  for (const [level, method] of [['debug', 'debug'], ['info', 'info'], ['log', 'info'], ['warn', 'warn'], ['error', 'error']]) {
    Logger.prototype[level] = function (...args) {
      console[method](`[${this.name}]`, ...args);
    };
  }
  cti.Logger = cti.Logger || Logger;

  const DEFAULT_TIMEOUT_MS = 10000;
  /** The code a request gets when its callback never comes (as the
   * reference Implementation's requests do when the server is silent). */
  const TIMEOUT = 'OPENCTI_HTTP_ERROR_408';
  const SETTINGS_META = 'meta[name="opencti-pega"]';

  // How each Interface function (left) calls a Pega method: the names it
  // may have on the adapter (the first one defined wins) and Pega's
  // arguments before (success, failure). `ctx` knows the link definition
  // and the agent logged in.
  const AGENT = (ctx, id) => id || ctx.agentId();
  const CALLS = {
    login: { names: ['login'], args: (ctx, [agentId, password, extension, options]) => [agentId, password, extension, ctx.linkDef, options || {}] },
    logout: { names: ['logout'], args: (ctx, [agentId, reasonCode]) => [AGENT(ctx, agentId), reasonCode, {}] },
    agentReady: { names: ['agentReady'], args: (ctx, [agentId, workMode]) => [AGENT(ctx, agentId), workMode || 'MODE_AUTO_IN', {}] },
    agentNotReady: {
      names: ['agentNotReady'],
      args: (ctx, [agentId, workMode, reasonCode]) => [AGENT(ctx, agentId), workMode || 'AUX_WORK', reasonCode, ctx.linkDef, {}],
    },
    makeCall: { names: ['makeCall'], args: (ctx, [destination, options]) => [destination, options || {}] },
    answerCall: { names: ['answerCall'], args: (ctx, [callId]) => [callId, {}] },
    rejectCall: { names: ['rejectCall'], args: (ctx, [callId]) => [callId, {}] },
    holdCall: { names: ['holdCall'], args: (ctx, [callId]) => [callId, {}] },
    retrieveCall: { names: ['retrieveCall'], args: (ctx, [callId]) => [callId, {}] },
    hangUpCall: { names: ['hangUpCall'], args: (ctx, [callId]) => [callId, {}] },
    sendDTMF: { names: ['sendDTMF'], args: (ctx, [callId, digits]) => [callId, digits, {}] },
    blindTransfer: { names: ['blindTransfer'], args: (ctx, [callId, destination, options]) => [callId, destination, options || {}] },
    transferInitiate: {
      names: ['transferInitiate', 'consultationCall'],
      args: (ctx, [callId, destination, options]) => [callId, destination, options || {}],
    },
    conferenceInitiate: {
      names: ['conferenceInitiate', 'consultationCall'],
      args: (ctx, [callId, destination, options]) => [callId, destination, options || {}],
    },
    transferComplete: { names: ['transferComplete'], args: (ctx, [heldCallId, consultCallId]) => [heldCallId, consultCallId, {}] },
    conferenceComplete: { names: ['conferenceComplete'], args: (ctx, [heldCallId, consultCallId]) => [heldCallId, consultCallId, {}] },
    alternateCall: { names: ['alternateCall'], args: (ctx, [heldCallId, activeCallId]) => [heldCallId, activeCallId, {}] },
    dropParty: { names: ['dropParty'], args: (ctx, [callId, party]) => [callId, party, {}] },
    completeWrapUp: { names: ['completeWrapUp'], args: (ctx, [disposition, note]) => [disposition, note, {}] },
  };

  function settings() {
    const meta = global.document && global.document.querySelector(SETTINGS_META);
    if (!meta) return null;
    try {
      return JSON.parse(meta.content);
    } catch (err) {
      console.error('OpenCTI Pega host: the page names an adapter in unreadable settings', err);
      return null;
    }
  }

  function emptyLinkDef() {
    return { pyPrimaryHost: '', pyPrimaryPort: '', CustomProperties: [] };
  }

  /** A failure callback's argument as {errCode, errMessage}. */
  function failureOf(err, method) {
    if (err && typeof err === 'object' && err.errCode !== undefined) {
      return { errCode: String(err.errCode), errMessage: err.errMessage === undefined ? '' : String(err.errMessage) };
    }
    if (typeof err === 'string' && err) return { errCode: 'OPENCTI_CALL_REJECTED', errMessage: err };
    if (err instanceof Error) return { errCode: 'OPENCTI_CALL_REJECTED', errMessage: err.message };
    return { errCode: 'OPENCTI_CALL_REJECTED', errMessage: `the adapter refused ${method}` };
  }

  /** What a success callback passed, if it is plain data (else null). */
  function plain(value) {
    if (value === undefined) return null;
    try {
      return JSON.parse(JSON.stringify(value));
    } catch {
      return null;
    }
  }

  /**
   * Makes pega.cti.desktopApi[name] the panel's Implementation. Resolves
   * with getCapabilities(); rejects with {errCode, errMessage}.
   */
  function usePegaImplementation(name, linkDef, options) {
    const api = global.OpenCTI;
    const Adapter = cti.desktopApi[name];
    if (typeof name !== 'string' || (typeof Adapter !== 'function' && (typeof Adapter !== 'object' || Adapter === null))) {
      const err = {
        errCode: 'OPENCTI_BAD_REQUEST',
        errMessage: `pega.cti.desktopApi.${name} is not defined: load the adapter's script (from the panel's origin) first`,
      };
      console.error(`OpenCTI Pega host: ${err.errMessage}`);
      return Promise.reject(err);
    }
    const adapter = typeof Adapter === 'function' ? new Adapter() : Adapter;
    cti.API = adapter;
    const timeoutMs = Number((options && options.timeoutMs) || DEFAULT_TIMEOUT_MS);
    let loggedInAgent = '';
    let snapshots = 0;
    const waiting = new Set();

    const ctx = {
      linkDef: linkDef || emptyLinkDef(),
      agentId: () => loggedInAgent || api.getState().pyAgentId || '',
    };

    // Events from the adapter, as objects or their JSON text; what is not
    // an OpenCTI event is refused (publishEvent logs it) and not applied.
    function forwardEvent(event) {
      let parsed = event;
      if (typeof event === 'string') {
        try {
          parsed = JSON.parse(event);
        } catch {
          console.error('OpenCTI Pega host: the adapter forwarded an event that is not JSON:', event);
          return;
        }
      }
      api.publishEvent(parsed).then(
        () => {
          if (parsed.pyEventType === 'SnapshotEvent') snapshots++;
          for (const check of waiting) check();
        },
        () => {},
      );
    }

    const implementation = {};
    const capabilities = [];
    for (const [fn, call] of Object.entries(CALLS)) {
      const method = call.names.find((n) => typeof adapter[n] === 'function');
      if (!method) continue;
      capabilities.push(fn);
      implementation[fn] = (...args) =>
        new Promise((resolve, reject) => {
          let answered = false;
          let value = null;
          const before = snapshots;
          // login resolves once the adapter's Snapshot has been applied,
          // logout once the store says Logout (Pega sends a Snapshot after
          // each); every other call on its success callback.
          const done = () => {
            if (!answered) return false;
            if (fn === 'login') return snapshots > before;
            if (fn === 'logout') return api.getState().pyAgentState === 'Logout';
            return true;
          };
          const finish = (ok, result) => {
            clearTimeout(timer);
            waiting.delete(check);
            (ok ? resolve : reject)(result);
          };
          const check = () => done() && finish(true, value);
          const timer = setTimeout(() => {
            const what = answered ? `confirmed ${method} but sent no SnapshotEvent` : `did not answer ${method}`;
            finish(false, { errCode: TIMEOUT, errMessage: `the ${name} adapter ${what} within ${timeoutMs / 1000} s` });
          }, timeoutMs);
          let called = false;
          const success = (result) => {
            if (called) return;
            called = true;
            answered = true;
            value = plain(result);
            if (fn === 'login') loggedInAgent = args[0];
            if (!check()) waiting.add(check);
          };
          const failure = (err) => {
            if (called) return;
            called = true;
            finish(false, failureOf(err, method));
          };
          const pegaArgs = [...call.args(ctx, args), success, failure];
          if (fn === 'login') pegaArgs.push(forwardEvent);
          try {
            adapter[method](...pegaArgs);
          } catch (err) {
            failure(err instanceof Error ? err.message : err);
          }
        });
    }
    const declaration = {
      name: `pega:${name}`,
      version: String(adapter.version || Adapter.version || 'unknown'),
      capabilities,
    };
    return api.useImplementation(implementation, declaration);
  }

  // window.OpenCTI is defined once the panel has hydrated; it then fires
  // this event synchronously, before anything can call it, so the
  // configured adapter is in force from the first click.
  global.addEventListener(
    'opencti:installed',
    () => {
      global.OpenCTI.usePegaImplementation = usePegaImplementation;
      const configured = settings();
      if (configured && configured.implementation) {
        usePegaImplementation(configured.implementation, configured.linkDef, { timeoutMs: configured.timeoutMs }).catch(() => {});
      }
    },
    { once: true },
  );
})(window);
