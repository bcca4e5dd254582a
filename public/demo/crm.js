// The demo CRM: a customer list with click-to-dial and a screen pop, driving
// the embedded panel through opencti-host.js. A file of its own, since the
// pages this server sends allow no inline script (Content-Security-Policy).
const customers = [
  { name: 'Grace Hopper', account: '42', phone: '+15551230001' },
  { name: 'Alan Turing', account: '7', phone: '+15551230002' },
  { name: 'Ada Lovelace', account: '1815', phone: '+15551230003' },
];
const params = new URLSearchParams(location.search);
const panelUrl = params.get('panel') || `${location.origin}/embed`;

const tbody = document.getElementById('customers');
for (const c of customers) {
  const row = tbody.insertRow();
  row.insertCell().textContent = c.name;
  row.insertCell().textContent = c.account;
  const button = document.createElement('button');
  button.className = 'dial';
  button.textContent = c.phone;
  button.setAttribute('aria-label', `Call ${c.name}`);
  button.addEventListener('click', () =>
    panel.clickToDial(c.phone).catch((e) => log(`Could not dial: ${e.errMessage}`)));
  row.insertCell().appendChild(button);
}

function log(text) { document.getElementById('log').textContent = text; }

// Screen pop: the call's attached data arrives before it rings.
function pop(event) {
  const data = event.pyUserData || {};
  const customer = customers.find((c) => c.account === data.account);
  document.getElementById('record').hidden = false;
  document.getElementById('record-name').textContent = customer ? customer.name : 'Unknown caller';
  document.getElementById('record-account').textContent = data.account || '—';
  document.getElementById('record-phone').textContent = customer ? customer.phone : '';
  document.getElementById('record-note').textContent = data.note ? `Note: ${data.note}` : '';
}

const panel = OpenCTIHost.embed({ container: '#panel', url: panelUrl, params: { agentId: params.get('agentId') || '' } });
window.panel = panel;
panel.on('CallInfoEvent', pop);
panel.ready.then(() => { document.getElementById('panel-status').textContent = 'Phone panel ready'; });
