// An OpenCTI implementation written the way Pega Call's are, for the Pega
// host tests: a prototype registered under pega.cti.desktopApi, callbacks
// instead of Promises, events forwarded as JSON strings, its own instance
// reached through pega.cti.API, logging through pega.cti.Logger. It speaks
// the fake "Acme" CTI server's protocol (support/fake-cti.ts). Nothing here
// knows about the Call Control Panel.
(function () {
  var logger = new pega.cti.Logger('AcmeCti');

  function AcmeCti() {
    this.socket = null;
    this.pending = {};
    this.nextReq = 1;
    this.forward = null;
    this.agentId = '';
    this.station = '';
    this.calls = {};
  }

  function property(linkDef, name) {
    var props = (linkDef && linkDef.CustomProperties) || [];
    for (var i = 0; i < props.length; i++) {
      if (props[i].pyPropertyName === name) return props[i].pyPropertyValue;
    }
    return '';
  }

  AcmeCti.prototype = {
    version: '3.1.4',

    send: function (op, fields, success, failure) {
      var req = this.nextReq++;
      var message = { req: req, op: op };
      for (var key in fields) message[key] = fields[key];
      this.pending[req] = { success: success, failure: failure };
      this.socket.send(JSON.stringify(message));
    },

    emit: function (event) {
      event.pyTimestamp = Date.now();
      this.forward(JSON.stringify(event));
    },

    callEvent: function (name, callId) {
      var call = this.calls[callId] || { ani: '', dnis: '' };
      this.emit({
        pyEventType: 'CallStateEvent', pyEventName: name, pyCallId: callId, pyCallType: 'INBOUND',
        pyANI: call.ani, pyDNIS: call.dnis, pyOtherDN: call.ani, pyThisDN: this.station, pyMedia: 'Phone',
      });
    },

    onMessage: function (message) {
      if (message.ack !== undefined || message.nak !== undefined) {
        var waiting = this.pending[message.ack !== undefined ? message.ack : message.nak];
        delete this.pending[message.ack !== undefined ? message.ack : message.nak];
        if (!waiting) return;
        if (message.ack !== undefined) waiting.success({});
        else waiting.failure({ errCode: message.code, errMessage: message.text });
        return;
      }
      switch (message.evt) {
        case 'Status':
          // Pega expects a Snapshot after login and after logout.
          this.emit({
            pyEventType: 'SnapshotEvent', pyEventName: 'Snapshot', pyAgentId: message.agent,
            pyAgentState: message.state === 'LOGGED_OUT' ? 'Logout' : 'NotReady',
            pyWorkMode: message.state === 'LOGGED_OUT' ? 'MODE_NONE' : 'AUX_WORK', pyReasonCode: message.reason,
            pyDeviceState: 'OPENED', pyLinkState: 'CONNECTED', pyThisDN: message.station, pyCalls: [],
          });
          return;
        case 'AgentState':
          this.emit({
            pyEventType: 'AgentStateEvent', pyEventName: message.state === 'READY' ? 'Ready' : 'NotReady',
            pyAgentId: this.agentId, pyReasonCode: message.reason || '',
            pyWorkMode: message.state === 'READY' ? 'MODE_AUTO_IN' : 'AUX_WORK', pyThisDN: this.station,
          });
          return;
        case 'Offering':
          this.calls[message.call] = { ani: message.from, dnis: message.to };
          this.emit({ pyEventType: 'CallInfoEvent', pyEventName: 'CallInfo', pyCallId: message.call, pyUserData: message.data });
          this.callEvent('Alerting', message.call);
          return;
        case 'Connected':
          this.callEvent('Established', message.call);
          return;
        case 'Held':
          this.callEvent('Held', message.call);
          return;
        case 'Retrieved':
          this.callEvent('Retrieved', message.call);
          return;
        case 'Released':
          this.callEvent('Disconnected', message.call);
          delete this.calls[message.call];
          return;
        case 'Garbage':
          // A vendor bug: the event forwarded is no OpenCTI event.
          this.forward('{"pyEventType": "CallStateEvent", "pyEventName": "Exploded"');
          return;
        default:
          logger.warn('unknown Acme event', message.evt);
      }
    },

    login: function (agentId, agentPwd, extension, linkDef, options, success, failure, forwardEvent) {
      var self = this;
      self.forward = forwardEvent;
      self.agentId = agentId;
      self.station = extension || '7001';
      var url = 'ws://' + linkDef.pyPrimaryHost + ':' + linkDef.pyPrimaryPort + '/';
      logger.info('connecting to', url);
      self.socket = new WebSocket(url);
      self.socket.onmessage = function (e) {
        pega.cti.API.onMessage(JSON.parse(e.data));
      };
      self.socket.onerror = function () {
        failure({ errCode: 'OPENCTI_LINK_DOWN', errMessage: 'cannot reach the Acme CTI server at ' + url });
      };
      self.socket.onopen = function () {
        self.send('Login', { agent: agentId, password: agentPwd, station: self.station, tenant: property(linkDef, 'tenant') }, success, failure);
      };
    },

    logout: function (agentId, reasonCode, options, success, failure) {
      this.send('Logout', { agent: agentId }, success, failure);
    },

    agentReady: function (agentId, workMode, options, success, failure) {
      this.send('Ready', { agent: agentId, mode: workMode }, success, failure);
    },

    agentNotReady: function (agentId, workMode, reasonCode, linkDef, options, success, failure) {
      this.send('NotReady', { agent: agentId, reason: reasonCode }, success, failure);
    },

    makeCall: function (destination, options, success, failure) {
      this.send('Dial', { to: destination }, success, failure);
    },

    answerCall: function (callId, options, success, failure) {
      this.send('Answer', { call: callId }, success, failure);
    },

    holdCall: function (callId, options, success, failure) {
      this.send('Hold', { call: callId }, success, failure);
    },

    retrieveCall: function (callId, options, success, failure) {
      this.send('Retrieve', { call: callId }, success, failure);
    },

    hangUpCall: function (callId, options, success, failure) {
      this.send('Release', { call: callId }, success, failure);
    },
  };

  pega.cti.desktopApi.AcmeCti = AcmeCti;
})();
