// One origin: /api/<service>/<path> is proxied by the console server to the service's /api/v1/<path>.
import { ElMessage } from 'element-plus'
import { session } from './session.js'

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.message || body.detail && JSON.stringify(body.detail))) || `HTTP ${status}`)
    this.status = status
    this.body = body || {}
    // A route that does not exist yet answers a bare 404/405 without our error code.
    this.missing = (status === 404 && !this.body.code) || status === 405
  }
}

function query(params) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x))
    else q.append(k, v)
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

export async function call(method, service, path, { params, body, form, quiet } = {}) {
  const headers = {}
  if (session.token) headers.Authorization = `Bearer ${session.token}`
  let payload
  if (form) payload = form
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  const r = await fetch(`/api/${service}/${path}${query(params)}`, { method, headers, body: payload })
  const text = await r.text()
  let data = null
  try { data = text ? JSON.parse(text) : null } catch { data = { message: text } }
  if (!r.ok) {
    const err = new ApiError(r.status, data)
    if (!quiet && !err.missing) ElMessage.error(err.message)
    throw err
  }
  return data
}

// An evidence file (佐证材料) is uploaded to execution once; reports and order replies then name its id.
export async function uploadEvidence(file) {
  const form = new FormData()
  form.append('file', file)
  return call('POST', 'execution', 'evidence', { form })
}

export const get = (service, path, params, opts = {}) => call('GET', service, path, { params, ...opts })
export const post = (service, path, body, opts = {}) => call('POST', service, path, { body, ...opts })
export const put = (service, path, body, opts = {}) => call('PUT', service, path, { body, ...opts })

// Try an endpoint; answer `fallback` with a `missing` flag when the service does not offer it (yet).
export async function tryGet(service, path, params, fallback = null) {
  try {
    return { data: await get(service, path, params, { quiet: true }), missing: false }
  } catch (e) {
    return { data: fallback, missing: e.missing || e.status >= 500, error: e }
  }
}

export function fieldErrors(err) {
  const out = {}
  for (const d of (err && err.body && err.body.details) || []) {
    const f = String(d.field || '').replace(/^body\./, '')
    out[f] = d.message
  }
  return out
}
