// zh-CN words for the codes the services speak.
export const ROLES = {
  target_office: '目标办', unit_reporter: '单位填报员', leader: '分管领导', supervisor: '督查室',
  assessor: '考核办', third_party: '第三方评估', feed: '数据接入',
}
export const CATEGORIES = {
  key_work: '重点工作', special_work: '专项工作', major_project: '重大工程', public_service: '实事项目', unit_work: '部门及街镇工作',
}
export const TARGET_STATUS = {
  draft: '草稿', submitted: '待审核', approved: '已审核', published: '已发布', rejected: '已退回', cancelled: '已撤销',
}
export const MILESTONE_STATUS = {
  pending: '未到期', due_soon: '即将到期', overdue: '已逾期', done_early: '提前完成', done_on_time: '按时完成', done_late: '逾期完成',
}
export const WARNING_KINDS = {
  due_soon: '即将到期', overdue: '逾期', behind_trajectory: '进度落后', repeated_lags: '多次滞后', hotline_spike: '热线激增',
  hotline_topic_spike: '热线话题激增',
}
export const UNIT_KINDS = {
  line_department: '委办局', territorial: '街镇', provincial_or_enterprise: '驻区单位/企业', leader_office: '领导办公室',
}
export const statusTag = (s) => ({
  pending: 'info', due_soon: 'warning', overdue: 'danger', done_early: 'success', done_on_time: 'success', done_late: 'warning',
  draft: 'info', submitted: 'warning', approved: '', published: 'success', rejected: 'danger', cancelled: 'info',
}[s] ?? 'info')

// Red / yellow / green for a target from its milestones, as a leader reads it.
export function light(milestones) {
  const ms = milestones || []
  if (ms.some((m) => m.status === 'overdue')) return 'red'
  if (ms.some((m) => m.status === 'due_soon' || m.status === 'done_late')) return 'yellow'
  return 'green'
}
export const LIGHT = { red: '红灯（滞后）', yellow: '黄灯（预警）', green: '绿灯（正常）' }

// Audit actions read as "<thing>.<verb>": the log shows them in Chinese, with the code beside for searching.
const AUDIT_THINGS = {
  scope: '辖区', unit: '单位', leader: '领导', directory: '单位目录', book: '目标书', target: '目标', adjustment: '目标调整',
  contract: '责任书', progress: '进度', contribution: '协同贡献', cooperation: '协同', lag: '滞后说明', evidence: '佐证材料',
  matter: '事项', order: '督办单', warning: '预警', warnings: '预警规则', metrics: '指标', webhook: '推送',
  scheme: '考核方案', evaluations: '评价', score_items: '加减分', statistics: '统计数据', assessment: '考核',
  accountability: '问责', scorecard: '计分卡', report: '报告',
}
const AUDIT_VERBS = {
  registered: '登记', updated: '修改', created: '新增', edited: '编辑', imported: '导入', exported: '导出',
  published: '发布', submitted: '提交', approved: '批准', rejected: '退回', requested: '申请', signed: '签订',
  drawn_up: '拟定', reported: '填报', uploaded: '上传', downloaded: '下载', read: '查阅', read_all: '全部已读',
  explained: '说明', raised: '提出', answered: '答复', issued: '下发', accepted: '签收', replied: '回复',
  sent_back: '退回重办', confirmed: '确认', rated: '评价', entered: '录入', recorded: '记录', drafted: '起草',
  opened: '启用', closed: '关闭', linked: '关联', retried: '重试', recompute_requested: '申请重算', set: '设置',
  cancelled: '撤销', proposal_uploaded: '上传计划书', proposal_downloaded: '下载计划书',
}
export function auditAction(action) {
  const [thing, ...rest] = action.split('.')
  const verb = rest.map((v) => AUDIT_VERBS[v] || v).join('·')
  return `${AUDIT_THINGS[thing] || thing}${verb ? ' ' + verb : ''}`
}
