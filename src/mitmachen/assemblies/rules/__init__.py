"""The assemblies' rules as pure functions: the speakers' list, election quotas, majorities."""
