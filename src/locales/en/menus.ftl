# Descriptions in the "/" command menu (at most 256 characters, plain text).

menu-start = Apply for a loan
menu-help = What this bot does
menu-cancel = Cancel the current application
menu-stats = Leads today and this week, with a chart
menu-logs = Latest events: /logs 50 errors, /logs agent ID
menu-pending = Leads waiting for Brainysoft or failed
menu-retry = Send leads again: /retry ID or /retry all
menu-export = Leads as a CSV file: /export 30 [full]
menu-agents = List the agents
menu-agent-add = Make someone an agent: /agent_add ID
menu-agent-remove = Take the agent role away: /agent_remove ID
