// Parses one Elastic Load Balancing access-log line into a JSON-ready object with typed numbers.
// Two formats (AWS ELB user guide, "Access log entries"):
//   Classic: timestamp elb client:port backend:port request_processing_time
//            backend_processing_time response_processing_time elb_status_code backend_status_code
//            received_bytes sent_bytes "request" "user_agent" ssl_cipher ssl_protocol
//   ALB:     type time elb client:port target:port ... (the same up to ssl_protocol), then
//            target_group_arn "trace_id" "domain_name" "chosen_cert_arn" matched_rule_priority
//            request_creation_time "actions_executed" "redirect_url" "error_reason"
//            "target:port_list" "target_status_code_list" "classification"
//            "classification_reason" conn_trace_id (newer fields appear over time; extras are kept)

const ALB_TYPES = new Set(['http', 'https', 'h2', 'grpcs', 'ws', 'wss']);
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/;

/** True when the character at `at` follows an odd number of backslashes. */
function isEscaped(line, at) {
  let slashes = 0;
  for (let k = at - 1; k >= 0 && line[k] === '\\'; k -= 1) slashes += 1;
  return slashes % 2 === 1;
}

/** Splits on spaces; a field starting with `"` runs to the next unescaped `"` (ELB escapes `"` in user agents as `\"`). */
export function splitFields(line) {
  const fields = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    if (line[i] === ' ') {
      i += 1;
      continue;
    }
    if (line[i] === '"') {
      // Find the closing quote with indexOf; only a field with a backslash needs unescaping.
      let j = line.indexOf('"', i + 1);
      while (j !== -1 && isEscaped(line, j)) j = line.indexOf('"', j + 1);
      if (j === -1) throw new Error(`unterminated quoted field at column ${i + 1}`);
      const raw = line.slice(i + 1, j);
      fields.push(raw.includes('\\') ? raw.replace(/\\(.)/g, '$1') : raw);
      i = j + 1;
      continue;
    }
    let j = line.indexOf(' ', i);
    if (j === -1) j = n;
    fields.push(line.slice(i, j));
    i = j;
  }
  return fields;
}

const dash = (value) => (value === undefined || value === '-' || value === '' ? null : value);

function number(value, name) {
  if (value === '-') return null;
  const parsed = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(parsed)) throw new Error(`${name} is not a number: ${JSON.stringify(value)}`);
  return parsed;
}

/** `10.0.0.1:80` → {ip, port}; `-` (no backend reached) → nulls. IPv6 addresses keep their colons. */
function endpoint(value, name) {
  if (value === '-') return { ip: null, port: null };
  const colon = value?.lastIndexOf(':') ?? -1;
  if (colon <= 0) throw new Error(`${name} is not ip:port: ${JSON.stringify(value)}`);
  return { ip: value.slice(0, colon), port: number(value.slice(colon + 1), `${name} port`) };
}

/** "GET https://host:443/path?q HTTP/1.1"; TCP listeners log "- - - ". */
function request(value) {
  const text = value.trimEnd();
  const first = text.indexOf(' ');
  const last = text.lastIndexOf(' ');
  if (first === -1 || last === first) return { request_method: dash(text), request_url: null, request_protocol: null };
  return {
    request_method: dash(text.slice(0, first)),
    request_url: dash(text.slice(first + 1, last)),
    request_protocol: dash(text.slice(last + 1)),
  };
}

function common(fields, offset) {
  const at = (i) => fields[offset + i];
  const client = endpoint(at(2), 'client');
  const backend = endpoint(at(3), 'backend');
  return {
    '@timestamp': at(0),
    elb: at(1),
    client_ip: client.ip,
    client_port: client.port,
    backend_ip: backend.ip,
    backend_port: backend.port,
    request_processing_time: number(at(4), 'request_processing_time'),
    backend_processing_time: number(at(5), 'backend_processing_time'),
    response_processing_time: number(at(6), 'response_processing_time'),
    elb_status_code: number(at(7), 'elb_status_code'),
    backend_status_code: number(at(8), 'backend_status_code'),
    received_bytes: number(at(9), 'received_bytes'),
    sent_bytes: number(at(10), 'sent_bytes'),
    ...request(at(11) ?? ''),
    user_agent: dash(at(12)),
    ssl_cipher: dash(at(13)),
    ssl_protocol: dash(at(14)),
  };
}

const ALB_EXTRA = [
  'target_group_arn',
  'trace_id',
  'domain_name',
  'chosen_cert_arn',
  'matched_rule_priority',
  'request_creation_time',
  'actions_executed',
  'redirect_url',
  'error_reason',
  'target_port_list',
  'target_status_code_list',
  'classification',
  'classification_reason',
  'conn_trace_id',
];

/** One access-log line → an object; throws an Error saying what is wrong with a line it cannot read. */
export function parseLine(line) {
  const fields = splitFields(line);
  if (ALB_TYPES.has(fields[0] ?? '')) {
    if (fields.length < 16 || !ISO_TIME.test(fields[1] ?? '')) throw new Error(`not an ALB access-log line (${fields.length} fields)`);
    const entry = { format: 'alb', type: fields[0], ...common(fields, 1) };
    ALB_EXTRA.forEach((name, i) => {
      const value = fields[16 + i];
      if (value === undefined) return;
      entry[name] = name === 'matched_rule_priority' ? (value === '-' ? null : number(value, name)) : dash(value);
    });
    return entry;
  }
  // Classic logs written before 2015 end after "request"; later ones add user agent and TLS.
  if (!ISO_TIME.test(fields[0] ?? '') || (fields.length !== 12 && fields.length !== 15)) {
    throw new Error(`not a Classic or Application Load Balancer access-log line (${fields.length} fields)`);
  }
  return { format: 'classic', ...common(fields, 0) };
}
