# Описания команд в меню «/» (не длиннее 256 символов, простой текст).

menu-start = Оставить заявку на заём
menu-help = Что умеет этот бот
menu-cancel = Отменить текущую заявку
menu-stats = Заявки за сегодня и неделю, с графиком
menu-logs = Последние события: /logs 50 errors, /logs agent ID
menu-pending = Заявки, ждущие Brainysoft, и неудачные
menu-retry = Отправить заявки ещё раз: /retry ID или /retry all
menu-export = Заявки в CSV-файле: /export 30 [full]
menu-agents = Список агентов
menu-agent-add = Сделать агентом: /agent_add ID
menu-agent-remove = Снять роль агента: /agent_remove ID
