"""Approvals (审批), pure: form fields and their values (fields), flows and their resolution
(flows), the request's state machine (machine) and the built-in templates (builtin)."""
