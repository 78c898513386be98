"""Assemblies: agenda, invitation with proof, attendance and quorum, the quota speakers' list,
motions, elections with secret ballots, and minutes."""
