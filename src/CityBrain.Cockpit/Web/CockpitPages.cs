using System.Reflection;

namespace CityBrain.Cockpit.Web;

/// <summary>
/// A scenario's pages in the cockpit shell: the assembly whose routable components the router also serves (with the
/// cockpit's layout), the links the menu shows staff under <see cref="Title"/>, and the links it shows signed-in
/// citizens in the portal (<see cref="CitizenLinks"/>) and the links it shows signed-in enterprise representatives
/// (<see cref="EnterpriseLinks"/>). The host registers one per scenario with
/// <see cref="CockpitModule.AddCockpitPages"/>, so that the cockpit never references a scenario.
/// </summary>
public sealed record CockpitPages(Assembly Assembly, string Title, IReadOnlyList<CockpitLink> Links, IReadOnlyList<CockpitLink>? CitizenLinks = null,
    IReadOnlyList<CockpitLink>? EnterpriseLinks = null);

/// <summary>A menu link: the page's path and the text shown.</summary>
public sealed record CockpitLink(string Href, string Title);
