// The scope's units and leaders, loaded once per page and cached: names for codes everywhere.
import { reactive } from 'vue'
import { tryGet } from './api.js'
import { session } from './session.js'

export const dir = reactive({ units: [], leaders: [], loaded: false })

export async function loadDirectory(force = false) {
  if (dir.loaded && !force) return dir
  const [u, l] = await Promise.all([
    tryGet('planning', `directory/${session.scope}/units`, null, []),
    tryGet('planning', `directory/${session.scope}/leaders`, null, []),
  ])
  dir.units = u.data || []
  dir.leaders = l.data || []
  dir.loaded = true
  return dir
}

export const unitName = (code) => (dir.units.find((u) => u.code === code) || {}).name || code
export const leaderName = (code) => (dir.leaders.find((l) => l.code === code) || {}).name || code

// Every target of the scope and year, all pages.
export async function allTargets(params = {}) {
  const out = []
  for (let page = 1; page < 50; page++) {
    const r = await tryGet('planning', 'targets', { scope: session.scope, size: 500, page, ...params }, null)
    if (!r.data) break
    out.push(...r.data.items)
    if (out.length >= r.data.total || r.data.items.length === 0) break
  }
  return out
}

// Key task → sub-items: by parent_id when planning answers it, else by code prefix ("…-07-2" under "…-07").
export function parentOf(t, byCode) {
  if (t.parent_id) return t.parent_id
  const m = /^(.*)-(\d+)$/.exec(t.code)
  const p = m && byCode[m[1]]
  return p && p.id !== t.id ? p.id : null
}

// Each target's live milestones (execution's view), fetched with bounded concurrency.
export async function withViews(targets, service = 'execution', concurrency = 16) {
  let i = 0
  async function worker() {
    while (i < targets.length) {
      const t = targets[i++]
      t.view = (await tryGet(service, `targets/${t.id}`)).data
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return targets
}

export const quarterOf = (d) => Math.floor((Number(d.slice(5, 7)) - 1) / 3) + 1

// A sub-item has a parent key task (planning says so; older answers are read from the code "…-07-2").
export const isSubItem = (t) => ('parent_id' in t ? !!t.parent_id : /-\d+-\d+$/.test(t.code))
