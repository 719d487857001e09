//! Consumer group membership, as Konnect serves it: a group's consumers, a consumer's groups,
//! adding and removing one; lists are cached as views so an entity page shows them offline.

use serde_json::json;

use crate::entities::EntityList;
use crate::timestamp::now;
use crate::vocabulary::EntityKind;
use crate::{Console, ConsoleError};

impl Console {
    /// The consumers in a consumer group.
    pub async fn consumer_group_members(
        &self,
        group_id: &str,
        consumer_group_id: &str,
    ) -> Result<EntityList, ConsoleError> {
        let path = format!("consumer_groups/{consumer_group_id}/consumers");
        let key = format!("members:{group_id}:{consumer_group_id}");
        self.related(group_id, &path, EntityKind::Consumers, &key).await
    }

    /// The consumer groups a consumer is in.
    pub async fn consumer_groups_of(
        &self,
        group_id: &str,
        consumer_id: &str,
    ) -> Result<EntityList, ConsoleError> {
        let path = format!("consumers/{consumer_id}/consumer_groups");
        let key = format!("groups-of:{group_id}:{consumer_id}");
        self.related(group_id, &path, EntityKind::ConsumerGroups, &key).await
    }

    pub async fn add_consumer_group_member(
        &self,
        group_id: &str,
        consumer_group_id: &str,
        consumer_id: &str,
    ) -> Result<(), ConsoleError> {
        let path = format!("consumer_groups/{consumer_group_id}/consumers");
        self.client
            .create_entity(group_id, &path, &json!({"consumer": consumer_id}))
            .await
            .map_err(|e| self.note_refusal(group_id, "consumer_groups", e.into()))?;
        Ok(())
    }

    /// Removes a consumer from a consumer group; one not in it counts as removed.
    pub async fn remove_consumer_group_member(
        &self,
        group_id: &str,
        consumer_group_id: &str,
        consumer_id: &str,
    ) -> Result<(), ConsoleError> {
        let path = format!("consumer_groups/{consumer_group_id}/consumers/{consumer_id}");
        match self.client.delete_entity(group_id, &path).await {
            Ok(()) => Ok(()),
            Err(konnect::KonnectError::Api(e)) if e.status == 404 => Ok(()),
            Err(e) => Err(self.note_refusal(group_id, "consumer_groups", e.into())),
        }
    }

    async fn related(
        &self,
        group_id: &str,
        path: &str,
        kind: EntityKind,
        key: &str,
    ) -> Result<EntityList, ConsoleError> {
        let fetch = async {
            let rows = self.client.list_all_entities(group_id, path).await?;
            Ok(EntityList {
                group_id: group_id.to_string(),
                kind,
                rows,
                fetched_at: now(),
                offline_reason: None,
            })
        };
        self.live_or_cached(key, fetch).await
    }
}
