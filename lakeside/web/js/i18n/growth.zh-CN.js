// Simplified Chinese strings for the growth engine: leaderboard, analytics dashboard, campaign admin.
export default {
};
