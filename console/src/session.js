// Who is logged in: the token and its role/unit/scope, kept in localStorage so a reload stays logged in.
import { reactive } from 'vue'

const saved = JSON.parse(localStorage.getItem('bihuan.session') || 'null')

export const session = reactive(saved || { token: null, user: null, role: null, unit: null, scope: 'demo', leader: null })

export function login(answer, extra = {}) {
  Object.assign(session, answer, extra)
  localStorage.setItem('bihuan.session', JSON.stringify(session))
}

export function logout() {
  Object.assign(session, { token: null, user: null, role: null, unit: null, leader: null })
  localStorage.removeItem('bihuan.session')
}
