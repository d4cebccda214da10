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
