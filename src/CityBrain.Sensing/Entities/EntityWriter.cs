using CityBrain.Hub.Security;
using CityBrain.Sensing.Api;
using Microsoft.AspNetCore.Http;

namespace CityBrain.Sensing.Entities;

/// <summary>
/// Who writes: the owner a new entity records, and whether the writer may change entities owned by others. An entity
/// without an owner (written before ownership existed, or through the open loopback broker) may be written by anyone.
/// </summary>
internal sealed record EntityWriter(string? Owner, bool MayWriteAny)
{
    /// <summary>The platform itself and <c>serve --ngsi-open</c> (loopback, no token): writes anything, records no owner.</summary>
    public static readonly EntityWriter Platform = new(null, MayWriteAny: true);

    /// <summary>
    /// The bearer token's caller: a system writes as <c>system:{id}</c>, a unit operator as <c>unit:{unit}</c> (the
    /// audit name, never a resident's ID); the data bureau admin may write any entity.
    /// </summary>
    public static EntityWriter Of(HttpContext http)
    {
        if (http.User.Identity?.IsAuthenticated != true)
        {
            return Platform;
        }
        var caller = Caller.From(http.User);
        return new EntityWriter(caller.AuditName, caller.IsAdmin);
    }

    /// <summary>Refuses (403, naming the entity) a write to an entity that another writer owns.</summary>
    public void CheckMayWrite(EntityRecord entity)
    {
        if (!MayWriteAny && entity.Owner is not null && entity.Owner != Owner)
        {
            throw new NgsiLdException(NgsiLdError.AccessDenied,
                $"Entity '{entity.Id}' belongs to another system; '{Owner ?? "anonymous"}' may write only the entities it created.");
        }
    }

    /// <summary>The existing entity, if this writer may change it; 404 when absent, 403 when another owns it.</summary>
    public EntityRecord Writable(EntityRecord? existing, string id)
    {
        var entity = existing ?? throw NgsiLdException.NotFound($"Entity '{id}' was not found.");
        CheckMayWrite(entity);
        return entity;
    }
}
