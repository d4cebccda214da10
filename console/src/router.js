import { createRouter, createWebHistory } from 'vue-router'
import { session } from './session.js'
import Shell from './components/Shell.vue'

// Each page says which roles see it in the left menu; the first allowed page is a role's home.
export const PAGES = [
  { path: 'overview', title: '工作概览', icon: 'DataBoard', roles: ['target_office', 'supervisor', 'assessor', 'leader'], component: () => import('./views/Overview.vue') },
  { path: 'book', title: '目标书', icon: 'Notebook', roles: ['target_office', 'supervisor', 'assessor', 'leader'], component: () => import('./views/TargetBook.vue') },
  { path: 'contracts', title: '责任书', icon: 'Tickets', roles: ['target_office', 'leader'], component: () => import('./views/Contracts.vue') },
  { path: 'city-board', title: '全市看板', icon: 'Histogram', cityOnly: true, roles: ['target_office', 'leader', 'supervisor'], component: () => import('./views/CityBoard.vue') },
  { path: 'city-tasks', title: '市级交办', icon: 'Share', roles: ['target_office', 'leader', 'supervisor', 'assessor'], component: () => import('./views/CityTasks.vue') },
  { path: 'scopes', title: '辖区', icon: 'MapLocation', roles: ['target_office'], component: () => import('./views/Scopes.vue') },
  { path: 'directory', title: '单位目录', icon: 'OfficeBuilding', roles: ['target_office'], component: () => import('./views/Directory.vue') },
  { path: 'mine', title: '我的目标', icon: 'Finished', roles: ['unit_reporter'], component: () => import('./views/MyTargets.vue') },
  { path: 'dashboard', title: '领导看板', icon: 'TrendCharts', roles: ['leader', 'target_office', 'supervisor'], component: () => import('./views/LeaderBoard.vue') },
  { path: 'supervision', title: '督查督办', icon: 'Bell', roles: ['supervisor', 'target_office', 'leader', 'unit_reporter'], component: () => import('./views/Supervision.vue') },
  { path: 'voice', title: '热线与窗口', icon: 'Phone', roles: ['supervisor', 'leader', 'target_office'], component: () => import('./views/Voice.vue') },
  { path: 'assessment', title: '考核问效', icon: 'Medal', roles: ['assessor', 'target_office', 'leader', 'third_party'], component: () => import('./views/Assessment.vue') },
  { path: 'audit', title: '审计日志', icon: 'Document', roles: ['target_office', 'supervisor', 'assessor'], component: () => import('./views/Audit.vue') },
]

// Where each role starts: its main task, not a generic overview.
const HOME = { target_office: 'overview', unit_reporter: 'mine', leader: 'dashboard', supervisor: 'supervision', assessor: 'assessment', third_party: 'assessment' }
export const home = (role) => '/' + (HOME[role] || (PAGES.find((p) => p.roles.includes(role)) || PAGES[0]).path)

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/login', component: () => import('./views/Login.vue'), meta: { public: true } },
    { path: '/', component: Shell, children: [
      { path: '', redirect: () => home(session.role) },
      ...PAGES.map((p) => ({ path: p.path, component: p.component, meta: { title: p.title, roles: p.roles } })),
      { path: 'targets/:id', component: () => import('./views/TargetDetail.vue'), meta: { title: '目标详情' } },
    ] },
    { path: '/:rest(.*)', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.public && !session.token) return { path: '/login', query: { next: to.fullPath } }
  if (to.meta.roles && !to.meta.roles.includes(session.role)) return home(session.role)
  if (to.meta.title) document.title = `${to.meta.title} · 闭环`
})
