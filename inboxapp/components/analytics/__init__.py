"""The analytics screen's components: tabs and window controls, the overview's cards and charts,
and the campaigns, setters, timing and CRM tabs."""
