"""Branch analytics: visit statistics, the age and interest profile of consented visitors, the footfall
forecast and the manager's report. Anonymous counts and consented profiles only; never faces."""
