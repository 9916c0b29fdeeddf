import type { Messages } from './en';

// Simplified Chinese. Typed as Messages: a missing or unknown key fails the type check.
export const zhCN: Messages = {
  'app.name': 'Atelier',
  'app.tagline': '本地优先的 AI 图像创作工作室',
  'app.titleSuffix': 'Atelier',

  'shell.skipToContent': '跳到主要内容',
  'shell.mainNav': '主导航',

  'nav.studio': '工作室',
  'nav.gallery': '图库',
  'nav.batch': '批量',
  'nav.tasks': '任务',
  'nav.logs': '日志',
  'nav.settings': '设置',

  'update.available': '有新版本可用',
  'update.reload': '重新加载',
  'update.later': '稍后',
  'update.label': '应用更新',

  'studio.title': '工作室',
  'studio.empty.title': '随时可以开始',
  'studio.empty.body': '先在设置中添加一个服务商，即可开始生成图像。',
  'studio.empty.action': '打开设置',

  'gallery.title': '图库',
  'gallery.empty.title': '还没有图像',
  'gallery.empty.body': '你生成的图像会保存在这里，只存于本设备。',

  'batch.title': '批量',
  'batch.empty.title': '还没有批量任务',
  'batch.empty.body': '批量任务会让一整个文件夹的图像依次经过模型处理，并保存结果。',

  'tasks.title': '任务',
  'tasks.empty.title': '还没有任务',
  'tasks.empty.body': '排队中、进行中和已完成的生成任务会显示在这里。',

  'logs.title': '日志',
  'logs.empty.title': '还没有日志',
  'logs.empty.body': '发往服务商的请求及其结果会记录在这里。',

  'settings.title': '设置',
  'settings.language.title': '语言',
  'settings.language.description': '界面显示的语言。',
  'settings.theme.title': '主题',
  'settings.theme.description': '跟随系统，或始终使用浅色或深色。',
  'settings.theme.system': '跟随系统',
  'settings.theme.light': '浅色',
  'settings.theme.dark': '深色'
};
